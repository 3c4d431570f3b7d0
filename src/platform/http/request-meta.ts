import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is calling, for audit events: request id, client IP and user agent. */
export interface RequestMeta {
  requestId: string;
  ip: string;
  userAgent?: string;
}

export function requestMetaOf(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { requestId: String(req.id), ip: req.ip, userAgent: ua ? ua.slice(0, 512) : undefined };
}

/** Controller parameter: `@Meta() meta: RequestMeta`. */
export const Meta = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  requestMetaOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
