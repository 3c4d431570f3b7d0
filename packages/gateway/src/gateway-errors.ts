import type {
  FastifyReply,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RouteGenericInterface,
} from 'fastify';

/** A reply of any Fastify server flavour (reply-from's callbacks hand out the widest type). */
export type AnyReply = FastifyReply<
  RouteGenericInterface,
  RawServerBase,
  RawRequestDefaultExpression<RawServerBase>,
  RawReplyDefaultExpression<RawServerBase>
>;

/** The gateway's own refusals, as JSON in the RFC 6749 §5.2 shape its OAuth errors use. */
export function sendError<R extends AnyReply | FastifyReply>(
  reply: R,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): R {
  (reply as AnyReply)
    .code(status)
    .headers({ ...headers, 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })
    .send(JSON.stringify({ error, error_description: description }));
  return reply;
}
