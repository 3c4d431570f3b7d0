import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { IssuerClient } from './issuer-client';
import type { ScopegateLogger } from './logger';
import { backoffMs, causeOf, IssuerRefusedError, issuerUrl } from './remote';

export interface RevocationFeedHandlers {
  /** The published keys changed (a rotation, a revoked key): fetch the key set again. */
  onKeys(): void;
  /** Scopes or claim categories changed: fetch the claims catalog again. */
  onCatalog(): void;
  /** The feed is (again) complete up to now; anything missed while it was away must be refetched. */
  onReady(): void;
}

export interface RevocationFeedOptions {
  /** Silence (no event, not even a heartbeat) this long means the stream stalled. Default: 1.6 heartbeats. */
  stallTimeoutMs?: number;
}

/** Used until the feed announces its heartbeat interval. */
const DEFAULT_STALL_TIMEOUT_MS = 8000;
/** One event's data larger than this is hostile or broken: the connection is dropped. */
const MAX_EVENT_BYTES = 4 << 20;
/** Revoked tokens remembered at most (each until it expires); more means a broken or hostile feed. */
const MAX_REVOKED = 2_000_000;
const PRUNE_EVERY_MS = 60_000;

interface RevokedEntry {
  jti: unknown;
  exp: unknown;
}

/**
 * A resource server's copy of the authorization server's revocations, kept current by its revocation
 * feed (Server-Sent Events): the snapshot of revoked, unexpired tokens at connect, then each revocation
 * as it happens, resumed with `Last-Event-ID` after a reconnect. The stream is watched: silence longer
 * than the heartbeat allows counts as a stall and the connection is replaced, with exponential
 * backoff between attempts. `lastLiveAtMs` tells the verifier how long its copy may be incomplete.
 */
export class RevocationFeed {
  private readonly revoked = new Map<string, number>();
  private lastEventId?: string;
  private controller?: AbortController;
  private stopped = false;
  private live = false;
  private lastEventAtMs = 0;
  /** While live: now. Otherwise: when the copy was last known complete (0: never). */
  private liveUntilMs = 0;
  private stallTimeoutMs: number;
  private pruneTimer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  /** The current connection delivered its snapshot. */
  private reachedReady = false;
  /** The last reason the feed is down, for readiness reports. */
  lastError?: string;

  constructor(
    private readonly issuer: IssuerClient,
    private readonly handlers: RevocationFeedHandlers,
    private readonly logger: ScopegateLogger,
    private readonly options: RevocationFeedOptions = {},
  ) {
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  start(): void {
    if (this.loop) return;
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS).unref();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pruneTimer);
    this.controller?.abort(new Error('stopped'));
    this.wake?.();
    await this.loop;
  }

  private wake?: () => void;

  /** A backoff pause that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  isRevoked(jti: string): boolean {
    return this.revoked.has(jti);
  }

  /** The feed is connected, has delivered its snapshot and has not gone silent. */
  isLive(now = Date.now()): boolean {
    return this.live && now - this.lastEventAtMs <= this.stallTimeoutMs;
  }

  /** How long the copy may have been incomplete: 0 while live. */
  downForMs(now = Date.now()): number {
    if (this.isLive(now)) return 0;
    const since = this.live ? this.lastEventAtMs : this.liveUntilMs;
    return since === 0 ? Infinity : now - since;
  }

  get size(): number {
    return this.revoked.size;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      this.reachedReady = false;
      let stalled = false;
      try {
        await this.connectOnce();
        if (!this.stopped) this.lastError = 'the feed ended';
      } catch (err) {
        if (this.stopped) break;
        stalled = err instanceof FeedStalledError;
        this.lastError = err instanceof IssuerRefusedError ? err.message : `feed: ${causeOf(err)}`;
        if (err instanceof IssuerRefusedError && err.status === 401) this.issuer.dropToken();
      }
      this.markDown(stalled);
      if (this.stopped) break;
      // A connection that worked and then ended or stalled (its token expired, an instance restarted)
      // is replaced at once; repeated failures to connect back off.
      attempt = this.reachedReady ? 0 : attempt + 1;
      await this.pause(attempt === 0 ? 0 : backoffMs(attempt - 1, 250, 10_000));
    }
  }

  /**
   * The copy is complete up to when the connection closed — or, after a stall, only up to the last
   * event heard: revocations may have been held back since, so the grace period counts from there.
   */
  private markDown(stalled: boolean): void {
    if (this.live) this.liveUntilMs = stalled ? this.lastEventAtMs : Date.now();
    this.live = false;
  }

  /** One connection, until it ends. */
  private async connectOnce(): Promise<void> {
    const token = await this.issuer.accessToken();
    // stop() may have run while the token was fetched: open nothing that nobody would close.
    if (this.stopped) return;
    const url = issuerUrl(this.issuer.conn.issuer, 'resource-server/feed');
    const controller = (this.controller = new AbortController());
    const doFetch = this.issuer.conn.fetch ?? fetch;
    const connectTimer = setTimeout(
      () => controller.abort(new Error('timeout')),
      this.issuer.conn.requestTimeoutMs ?? 5000,
    );
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${token}`,
          ...(this.lastEventId ? { 'last-event-id': this.lastEventId } : {}),
        },
        redirect: 'error',
        signal: controller.signal,
      });
    } finally {
      clearTimeout(connectTimer);
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { error?: string; error_description?: string };
      throw new IssuerRefusedError(url, res.status, body.error, body.error_description);
    }
    if (!/^text\/event-stream/i.test(res.headers.get('content-type') ?? '')) {
      controller.abort();
      throw new IssuerRefusedError(url, res.status, 'invalid_response', 'not an event stream');
    }

    let pendingBytes = 0;
    let lastByteAtMs = Date.now();
    const parser = createParser({
      onEvent: (event) => {
        pendingBytes = 0;
        this.lastEventAtMs = Date.now();
        if (this.handle(event)) this.reachedReady = true;
      },
    });
    // The watchdog: a stream that goes silent is replaced (heartbeats arrive every few seconds).
    const watchdog = setInterval(() => {
      if (Date.now() - lastByteAtMs > this.stallTimeoutMs) controller.abort(new Error('stalled'));
    }, 250);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        lastByteAtMs = Date.now();
        pendingBytes += chunk.byteLength;
        if (pendingBytes > MAX_EVENT_BYTES) throw new Error('an event larger than 4 MiB');
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch (err) {
      if (controller.signal.aborted && String(controller.signal.reason).includes('stalled')) {
        this.logger.warn(
          `Scopegate's revocation feed went silent for ${this.stallTimeoutMs} ms; reconnecting`,
        );
        throw new FeedStalledError({ cause: err });
      }
      throw err;
    } finally {
      clearInterval(watchdog);
      controller.abort();
    }
  }

  /** Applies one event; true when it is the end of the snapshot. Malformed data is ignored. */
  private handle(event: EventSourceMessage): boolean {
    if (event.id && /^\d{1,15}$/.test(event.id)) this.lastEventId = event.id;
    if (this.live) this.liveUntilMs = Date.now();
    let data: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(event.data || '{}');
      if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
    } catch {
      return false;
    }
    switch (event.event) {
      case 'revoked':
        this.addRevoked(data.tokens);
        return false;
      case 'ready': {
        const heartbeat = data.heartbeat_ms;
        if (typeof heartbeat === 'number' && heartbeat >= 100 && heartbeat <= 60_000)
          this.stallTimeoutMs = this.options.stallTimeoutMs ?? Math.round(heartbeat * 1.6);
        this.live = true;
        this.liveUntilMs = Date.now();
        this.lastError = undefined;
        this.handlers.onReady();
        return true;
      }
      case 'keys':
        this.handlers.onKeys();
        return false;
      case 'catalog':
        this.handlers.onCatalog();
        return false;
      default:
        return false; // heartbeat, and events a newer server may add
    }
  }

  private addRevoked(tokens: unknown): void {
    if (!Array.isArray(tokens)) return;
    for (const t of tokens as RevokedEntry[]) {
      if (typeof t !== 'object' || t === null) continue;
      if (typeof t.jti !== 'string' || t.jti.length === 0 || t.jti.length > 128) continue;
      const exp = typeof t.exp === 'number' && Number.isFinite(t.exp) ? t.exp : Infinity;
      if (this.revoked.size >= MAX_REVOKED && !this.revoked.has(t.jti)) {
        // Cannot remember more: stop trusting the copy (the verifier fails closed) rather than forget one.
        throw new Error(`more than ${MAX_REVOKED} revoked tokens`);
      }
      this.revoked.set(t.jti, exp);
    }
  }

  private prune(): void {
    // Kept a minute past expiry: the verifier allows a little clock leeway on `exp`.
    const cutoff = Date.now() / 1000 - 60;
    for (const [jti, exp] of this.revoked) if (exp < cutoff) this.revoked.delete(jti);
  }
}

class FeedStalledError extends Error {
  constructor(options: ErrorOptions) {
    super('the feed stalled', options);
  }
}
