import {
  audiences,
  principalOf,
  refused,
  verifyAccessToken,
  type AccessTokenPolicy,
  type Principal,
  type VerifiedAccessToken,
} from './access-token';
import { ClaimsCatalogClient } from './claims-catalog';
import { TemporarilyUnavailableError } from './errors';
import { IssuerClient } from './issuer-client';
import { RemoteKeySet } from './jwks';
import { consoleLogger, type ScopegateLogger } from './logger';
import {
  backoffMs,
  basicAuthorization,
  causeOf,
  isTransient,
  requestJson,
  unavailable,
  type IssuerConnection,
} from './remote';
import { RevocationFeed } from './revocation-feed';
import { UsageReporter, type UsageEvent, type UsageReporterOptions } from './usage-reporter';
import { VerifiedTokenCache } from './verified-token-cache';

export interface VerifierOptions extends IssuerConnection {
  /**
   * This API's resource identifier (RFC 8707): a token's `aud` must contain it. Optional only for a
   * gateway, which names each route's audience in `verify`.
   */
  audience?: string;
  /**
   * While the revocation feed has been down longer than `feedGraceMs`: true (default) checks each
   * token by introspection (RFC 7662), and answers 503 when the authorization server cannot be asked;
   * false keeps trusting the last known revocations.
   */
  failClosed?: boolean;
  /** How long a feed outage is bridged by the last known revocations. Default 3 s. */
  feedGraceMs?: number;
  /** Silence on the feed that counts as a stall. Default: 1.6 heartbeats as the feed announces them. */
  feedStallTimeoutMs?: number;
  usage?: UsageReporterOptions;
  logger?: ScopegateLogger;
}

export interface VerifierStatus {
  /** Metadata and keys are loaded: tokens can be verified. */
  keys: boolean;
  /** The revocation feed is connected and current. */
  feed: boolean;
  catalog: boolean;
  revoked: number;
  /** Usage reports: waiting (a bounded queue, `usage.maxQueued`), acknowledged, given up on. */
  usage: { pending: number; delivered: number; dropped: number };
  /** Why something is down, for the operator. */
  reason?: string;
}

/**
 * A resource server's view of Scopegate, without its database or keys: verification of RFC 9068
 * access tokens against the published keys, revocation from the feed (or introspection while it is
 * down), the claims catalog and usage reporting. Start it once; it connects in the background and
 * keeps trying, and answers 503 until it has what it needs.
 */
export interface ScopegateVerifier {
  readonly audience?: string;
  /**
   * The principal of a live token meant for `audience` (default: this API's); InvalidTokenError or
   * TemporarilyUnavailableError. A gateway in front of several APIs passes each route's audience.
   */
  verify(token: string, audience?: string): Promise<Principal>;
  categoriesGrantedBy(scopes: Iterable<string>): ReadonlySet<string>;
  scopesGranting(category: string): string[];
  reportUsage(event: UsageEvent): void;
  status(): VerifierStatus;
  /** Resolves once everything is loaded (for tests and readiness probes); never rejects. */
  whenReady(timeoutMs?: number): Promise<boolean>;
  start(): void;
  close(): Promise<void>;
}

const VERIFIED_CACHE_MAX = 10_000;

export function createVerifier(options: VerifierOptions): ScopegateVerifier {
  return new RemoteVerifier(options);
}

class RemoteVerifier implements ScopegateVerifier {
  readonly audience?: string;
  private readonly logger: ScopegateLogger;
  private readonly issuer: IssuerClient;
  private readonly keys: RemoteKeySet;
  private readonly catalog: ClaimsCatalogClient;
  private readonly feed: RevocationFeed;
  private readonly usage: UsageReporter;
  private readonly policy: AccessTokenPolicy;
  private readonly verified = new VerifiedTokenCache<VerifiedAccessToken>(VERIFIED_CACHE_MAX);
  private started = false;
  private closed = false;
  private connecting?: Promise<void>;
  private catalogTimer?: NodeJS.Timeout;
  private lastConnectError?: string;
  private readyWaiters: (() => void)[] = [];
  /** Cuts the connect loop's backoff short on close. */
  private wake?: () => void;

  constructor(private readonly options: VerifierOptions) {
    if (!options.issuer || !options.clientId || !options.clientSecret)
      throw new Error('Scopegate: issuer, clientId and clientSecret are required');
    this.audience = options.audience;
    this.logger = options.logger ?? consoleLogger;
    this.issuer = new IssuerClient(options);
    this.keys = new RemoteKeySet(this.issuer);
    this.catalog = new ClaimsCatalogClient(this.issuer);
    // The audience is checked per call (a gateway serves several), on fresh and cached tokens alike.
    this.policy = { issuer: options.issuer.replace(/\/$/, ''), audience: null };
    this.feed = new RevocationFeed(
      this.issuer,
      {
        onKeys: () => void this.keys.refresh().catch(() => undefined),
        onCatalog: () => void this.catalog.refresh().catch(() => undefined),
        // Whatever changed while the feed was away is fetched again.
        onReady: () => {
          void Promise.allSettled([this.keys.refresh(), this.catalog.refresh()]).then(() =>
            this.notifyReady(),
          );
        },
      },
      this.logger,
      { stallTimeoutMs: options.feedStallTimeoutMs },
    );
    this.usage = new UsageReporter(this.issuer, this.logger, options.usage);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.usage.start();
    this.catalogTimer = setInterval(
      () => void this.catalog.refresh().catch(() => undefined),
      300_000,
    ).unref();
    this.connecting = this.connect();
  }

  /** Metadata and keys first (they make verification possible), then the catalog and the feed. */
  private async connect(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.keys.refresh();
        await this.catalog.refresh();
        this.feed.start();
        if (this.lastConnectError) this.logger.log(`Connected to Scopegate at ${this.options.issuer}`);
        this.lastConnectError = undefined;
        return;
      } catch (err) {
        const reason = err instanceof Error ? err.message : causeOf(err);
        if (reason !== this.lastConnectError) {
          this.logger.error(
            isTransient(err)
              ? `${reason}; protected routes answer 503 until it is`
              : `${reason}; protected routes answer 503 until this is fixed`,
          );
        }
        this.lastConnectError = reason;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffMs(attempt, 500, 10_000));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    clearInterval(this.catalogTimer);
    await Promise.allSettled([this.feed.stop(), this.usage.close(), this.connecting]);
  }

  status(): VerifierStatus {
    const feed = this.feed.isLive();
    return {
      keys: this.keys.loaded,
      feed,
      catalog: this.catalog.loaded,
      revoked: this.feed.size,
      usage: { pending: this.usage.pending, delivered: this.usage.delivered, dropped: this.usage.dropped },
      reason: this.lastConnectError ?? (feed ? undefined : (this.feed.lastError ?? 'the feed is connecting')),
    };
  }

  whenReady(timeoutMs = 10_000): Promise<boolean> {
    const ready = () => this.keys.loaded && this.catalog.loaded && this.feed.isLive();
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(ready()), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(ready());
      });
    });
  }

  private notifyReady(): void {
    this.readyWaiters.splice(0).forEach((w) => w());
  }

  async verify(token: string, audience = this.audience): Promise<Principal> {
    if (!audience) throw new Error('Scopegate: verify needs an audience');
    // Without the catalog no response could be filtered: refuse before any handler runs.
    if (!this.keys.loaded || !this.catalog.loaded)
      throw new TemporarilyUnavailableError(
        2,
        'The authorization server has not been reached yet; retry later',
        this.lastConnectError,
      );
    let verified = this.verified.get(token, Date.now());
    if (verified) {
      // What may have changed since it was first verified: its key was withdrawn, or it was revoked.
      if (!this.keys.has(verified.kid)) {
        this.verified.delete(token);
        throw refused('key', `key ${verified.kid} is no longer published`);
      }
    } else {
      verified = await verifyAccessToken(token, this.keys.resolve, this.policy);
    }
    // RFC 9068 §4 / RFC 8707: the token must be meant for this resource.
    if (!audiences(verified.claims).includes(audience))
      throw refused('audience', `aud ${JSON.stringify(verified.claims.aud).slice(0, 200)}`);
    await this.assertNotRevoked(token, verified);
    this.verified.set(token, verified, verified.claims.exp);
    return principalOf(verified);
  }

  /**
   * Revocation, without a request per call while the feed is live. While it has been down longer
   * than the grace period the copy may be missing revocations: fail closed (introspect each token).
   */
  private async assertNotRevoked(token: string, { claims }: VerifiedAccessToken): Promise<void> {
    if (this.feed.isRevoked(claims.jti)) throw refused('revoked', `jti ${claims.jti}`);
    if (this.feed.downForMs() <= (this.options.feedGraceMs ?? 3000)) return;
    if (this.options.failClosed === false) return;
    if (!(await this.introspect(token))) {
      this.verified.delete(token);
      throw refused('revoked', `jti ${claims.jti}: inactive at introspection`);
    }
  }

  /** RFC 7662 §2: is the token active? Unreachable: 503, never a silent yes. */
  private async introspect(token: string): Promise<boolean> {
    try {
      const { introspection_endpoint } = await this.issuer.getMetadata();
      if (!introspection_endpoint) throw new Error('the issuer has no introspection endpoint');
      const body = await requestJson<{ active?: unknown }>(this.options, introspection_endpoint, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      });
      return body.active === true;
    } catch (err) {
      throw unavailable(err);
    }
  }

  categoriesGrantedBy(scopes: Iterable<string>): ReadonlySet<string> {
    return this.catalog.categoriesGrantedBy(scopes);
  }

  scopesGranting(category: string): string[] {
    return this.catalog.scopesGranting(category);
  }

  reportUsage(event: UsageEvent): void {
    this.usage.report(event);
  }
}
