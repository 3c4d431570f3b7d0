import {
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Req,
  Res,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeysService } from '../../keys/keys.service';
import { NotificationsService } from '../../platform/db/notifications.service';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { RESOURCE_SERVER_SCOPE } from '../../scopes/built-in';
import { ScopesService } from '../../scopes/scopes.service';
import { RevocationService, type RevokedToken } from '../../tokens/revocation.service';

/** Interval of `heartbeat` events (announced in `ready`): a client that hears nothing for 1.6 of them treats the stream as stalled. */
export const FEED_HEARTBEAT_MS = 5000;
/**
 * A resumed feed re-sends revocations from this long before the client's last event id, so that one
 * committed late (its `revoked_at` is its transaction's start) or stamped by a slightly different clock
 * is not skipped. Revocations are idempotent: a repeat costs nothing.
 */
const RESUME_OVERLAP_MS = 10_000;
const SNAPSHOT_CHUNK = 500;
/** Streams one client may hold open on one instance. */
const MAX_STREAMS_PER_CLIENT = 8;
/** A consumer this far behind is cut off (it resumes with Last-Event-ID): memory stays bounded. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * The revocation feed for resource servers (Server-Sent Events): at connect the revoked, unexpired
 * tokens (all of them, or since `Last-Event-ID` when resuming), then `ready`, then every revocation as
 * this instance learns of it, `keys` when the published keys change, `catalog` when scopes or claim
 * categories change, and `heartbeat` every few seconds. Event ids are a position in time (ms); a
 * client resumes with the last one it saw. The stream ends when the caller's token expires, and when
 * this instance stops hearing other instances' revocations — the client reconnects and resumes, so it
 * never keeps trusting a feed that may miss revocations.
 */
@ApiTags('resource servers')
@Controller('resource-server')
export class RevocationFeedController implements BeforeApplicationShutdown {
  private readonly streams = new Map<string, number>();
  /** Every open stream's close, so that shutdown ends them (an open stream would hold the server up). */
  private readonly open = new Set<() => void>();

  /** Before the HTTP server closes: end every stream; the clients reconnect to another instance. */
  beforeApplicationShutdown(): void {
    for (const close of [...this.open]) close();
  }

  constructor(
    private readonly revocations: RevocationService,
    private readonly keys: KeysService,
    private readonly scopes: ScopesService,
    private readonly notifications: NotificationsService,
  ) {}

  @Get('feed')
  @Authenticated({ scopes: [RESOURCE_SERVER_SCOPE] })
  @ApiOperation({
    summary: 'Revocation feed for resource servers (Server-Sent Events)',
    description:
      'Events: `revoked` (`{"tokens":[{"jti","exp"}]}`), `ready` (end of the snapshot or replay; `heartbeat_ms` announces the heartbeat interval), `keys` (refetch the JWKS), ' +
      '`catalog` (refetch the claims catalog), `heartbeat`. Reconnect with `Last-Event-ID` to resume.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received' })
  @ApiOkResponse({ description: 'An event stream' })
  async feed(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const open = this.streams.get(principal.clientId) ?? 0;
    if (open >= MAX_STREAMS_PER_CLIENT)
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: 'Too many open feed streams for this client',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    if (this.notifications.enabled && !this.notifications.connected)
      throw new HttpException(
        {
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'Revocations cannot be followed right now',
        },
        HttpStatus.SERVICE_UNAVAILABLE,
        { cause: 'listener down' },
      );
    const since = cursorOf(req.headers['last-event-id']);
    this.streams.set(principal.clientId, open + 1);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    let closed = false;
    const cleanups: (() => void)[] = [];
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.delete(close);
      cleanups.forEach((c) => c());
      this.streams.set(principal.clientId, (this.streams.get(principal.clientId) ?? 1) - 1);
      res.end();
    };
    const send = (event: string, data: unknown, id?: number) => {
      if (closed) return;
      res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
      if (res.writableLength > MAX_BUFFERED_BYTES) close();
    };

    // Subscribed before the snapshot is read, so that nothing falls between the two (repeats are harmless).
    const pending: RevokedToken[] = [];
    let live = false;
    cleanups.push(
      this.revocations.onRevoked((t) =>
        live ? send('revoked', { tokens: [t] }, Date.now()) : pending.push(t),
      ),
      this.keys.onPublishedKeysChange(() => send('keys', {})),
      this.scopes.onCatalogChange(() => send('catalog', {})),
      this.notifications.onDisconnect(close),
    );
    req.raw.on('close', close);
    this.open.add(close);
    const heartbeat = setInterval(() => send('heartbeat', { time: Date.now() }), FEED_HEARTBEAT_MS);
    const expiry = setTimeout(close, Math.max(0, principal.exp * 1000 - Date.now()));
    cleanups.push(
      () => clearInterval(heartbeat),
      () => clearTimeout(expiry),
    );

    res.write('retry: 1000\n\n');
    try {
      const from = since === undefined ? undefined : new Date(since - RESUME_OVERLAP_MS);
      const { tokens, asOf } = await this.revocations.revokedSince(from);
      for (let i = 0; i < tokens.length; i += SNAPSHOT_CHUNK)
        send('revoked', { tokens: tokens.slice(i, i + SNAPSHOT_CHUNK) });
      if (pending.length) send('revoked', { tokens: pending.splice(0) });
      live = true;
      send(
        'ready',
        { resumed: since !== undefined, count: tokens.length, heartbeat_ms: FEED_HEARTBEAT_MS },
        asOf.getTime(),
      );
    } catch {
      // The database did not answer: end the stream; the client retries (and fails closed meanwhile).
      close();
    }
  }
}

/** A Last-Event-ID we issued (a time in ms); anything else means "send everything". */
function cursorOf(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header)) return undefined;
  const t = Number(header);
  return t > Date.now() + 60_000 ? undefined : t;
}
