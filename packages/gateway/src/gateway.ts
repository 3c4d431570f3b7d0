import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Transform } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyReplyFrom from '@fastify/reply-from';
import {
  bearerTokenOf,
  createVerifier,
  InsufficientScopeError,
  MissingTokenError,
  OAuthError,
  refused,
  type Principal,
  type ScopegateLogger,
  type ScopegateVerifier,
  ThrottledLog,
} from '@scopegate/nest/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { GatewayConfig, RouteConfig } from './config.types';
import { forwardedHeaders, privateCacheControl, REPRESENTATION_HEADERS } from './forwarded-headers';
import { sendError, type AnyReply } from './gateway-errors';
import { GatewayMetrics } from './metrics';
import { compileRoutes, normaliseTarget, upstreamUrl, type Matcher } from './paths';
import { compileClaims, filterResponse, type ClaimRules } from './response-filter';

/** A configured route with what is derived from it once per (re)load. */
interface ActiveRoute extends RouteConfig {
  claimRules?: ClaimRules;
  /** @fastify/rate-limit's check (`isAllowed` means allow-listed; `isExceeded` is the verdict). */
  limiter?: ReturnType<FastifyInstance['createRateLimit']>;
}

interface RequestState {
  route?: ActiveRoute;
  principal?: Principal;
  error?: unknown;
  /** Refused by the gateway itself after authentication (e.g. the client's rate limit). */
  refusal?: string;
  upstreamStartedAt?: number;
}

const RESERVED = new Set(['/metrics', '/health/live', '/health/ready']);
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** A rate-limit counter update takes well under a millisecond; a Redis that takes this long is down. */
const REDIS_COMMAND_TIMEOUT_MS = 1000;

export interface Gateway {
  app: FastifyInstance;
  verifier: ScopegateVerifier;
  /** Replaces the routes (SIGHUP); in-flight requests finish with the routes they started with. */
  setRoutes(routes: RouteConfig[]): void;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The gateway: every request is matched against the configured routes after path normalisation,
 * authenticated with the resource-server core of @scopegate/nest (same verification, revocation feed
 * and failure behaviour as a Nest API), rate-limited per client, forwarded to the route's upstream
 * with the verified identity, and its JSON response filtered by the claim categories the token's
 * scopes grant. Usage is reported to Scopegate's audit log.
 */
export interface GatewayOptions {
  /** Bearer token required on GET /metrics (METRICS_TOKEN); open when unset. */
  metricsToken?: string;
}

export async function createGateway(
  config: GatewayConfig,
  logger: ScopegateLogger,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const verifier = createVerifier({
    issuer: config.issuer,
    clientId: config.client.id,
    clientSecret: config.client.secret,
    failClosed: config.failClosed,
    logger,
  });
  const metrics = new GatewayMetrics(() => verifier.status().usage);
  const checkFailures = new ThrottledLog(logger);
  // Commands fail at once while disconnected (no offline queue) and after REDIS_COMMAND_TIMEOUT_MS on
  // a connection that no longer answers; either way the request is answered 503, never left hanging.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: false,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      })
    : undefined;
  redis?.on('error', () => undefined); // reported through failing limiter calls

  const app = Fastify({
    logger: false,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.maxBodyBytes,
    // The gateway normalises and matches paths itself (paths.ts); Fastify only sees one catch-all route.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 8192 },
  });
  // Bodies are forwarded as streams, whatever their type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req: FastifyRequest, payload: IncomingMessage, done) =>
    // Request bodies are bounded like responses: a declared length over the limit is refused at once,
    // a chunked body is cut off when it passes it.
    Number(req.headers['content-length'] ?? 0) > config.maxBodyBytes
      ? done(Object.assign(new Error('request body too large'), { statusCode: 413 }), undefined)
      : done(null, bounded(payload, config.maxBodyBytes)),
  );
  await app.register(fastifyReplyFrom, {
    disableRequestLogging: true,
    undici: { connections: 128, pipelining: 1, connectTimeout: 5000 },
  });
  await app.register(fastifyRateLimit, { global: false, ...(redis ? { redis, skipOnError: false } : {}) });

  const state = new WeakMap<FastifyRequest, RequestState>();
  let matcher: Matcher<ActiveRoute>;

  const activate = (routes: RouteConfig[]): Matcher<ActiveRoute> =>
    compileRoutes(
      routes.map((r): ActiveRoute => {
        const active: ActiveRoute = { ...r };
        if (Object.keys(r.claims).length) active.claimRules = compileClaims(r.claims);
        if (r.rateLimit)
          active.limiter = app.createRateLimit({
            max: r.rateLimit.perClient,
            timeWindow: r.rateLimit.windowMs,
            // Per client, never per address or token (SPEC: a client rotating tokens is one client).
            keyGenerator: (req) => `${r.name}:${state.get(req)?.principal?.clientId ?? 'anonymous'}`,
          });
        return active;
      }),
    );
  matcher = activate(config.routes);

  app.get('/health/live', (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/health/ready', (_req, reply) => {
    const s = verifier.status();
    const ready = s.keys && s.catalog && s.feed;
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ok' : 'unavailable', keys: s.keys, feed: s.feed, catalog: s.catalog });
  });
  app.get('/metrics', async (req, reply) => {
    // With METRICS_TOKEN set, scrapers must send it (Bearer); the metrics name clients and routes.
    if (options.metricsToken && !sameSecret(bearerOf(req.headers.authorization), options.metricsToken))
      return sendError(reply, 401, 'invalid_token', 'The metrics token is missing or wrong', {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.setNotFoundHandler((req, reply) => handle(req, reply));
  app.setErrorHandler((err: { statusCode?: number; message?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) logger.error(`request ${req.id}: ${err.message ?? String(err)}`);
    if (status === 413)
      return sendError(
        reply,
        413,
        'invalid_request',
        `The request body is larger than ${config.maxBodyBytes} bytes`,
      );
    return status === 500
      ? sendError(reply, 500, 'server_error', 'The gateway failed')
      : sendError(reply, status, 'invalid_request', 'The request is malformed');
  });
  for (const method of METHODS)
    for (const url of ['/', '/*']) {
      app.route({ method, url, handler: handle, exposeHeadRoute: false });
    }

  async function handle(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const s: RequestState = {};
    state.set(req, s);
    if (req.headers.upgrade)
      return sendError(reply, 400, 'invalid_request', 'Protocol upgrades are not forwarded');
    const target = normaliseTarget(req.raw.url ?? '/');
    if ('error' in target)
      return sendError(reply, 400, 'invalid_request', `Bad request path: ${target.error}`);
    if (RESERVED.has(target.path)) return sendError(reply, 404, 'not_found', 'No route for this path');
    const found = matcher.match(req.method, target.path);
    if ('error' in found) {
      if (found.error === 'method_not_allowed')
        return sendError(reply, 405, 'method_not_allowed', `Allowed: ${found.allowed.join(', ')}`, {
          allow: found.allowed.join(', '),
        });
      return sendError(reply, 404, 'not_found', 'No route for this path');
    }
    const route = (s.route = found.route);
    try {
      if (!route.public) s.principal = await authorize(req, route, target.search);
      if (route.limiter) {
        const limit = await route.limiter(req);
        if (!limit.isAllowed && limit.isExceeded) {
          s.refusal = 'rate_limited';
          const retry = String(Math.max(1, limit.ttlInSeconds));
          return sendError(reply, 429, 'rate_limited', 'Too many requests for this client; retry later', {
            'retry-after': retry,
          });
        }
      }
    } catch (err) {
      s.error = err;
      if (err instanceof OAuthError)
        return reply
          .code(err.status)
          .headers({
            ...err.headers,
            'cache-control': 'no-store',
            'content-type': 'application/json; charset=utf-8',
          })
          .send(JSON.stringify(err.toJSON()));
      // One line per kind of failure per 30 s: an outage (Redis away) must not write a line per request.
      const reason = err instanceof Error ? err.message : String(err);
      checkFailures.warn(
        reason.slice(0, 80),
        `cannot check requests (answered 503; repeats within 30 s not logged): ${reason}`,
      );
      return sendError(
        reply,
        503,
        'temporarily_unavailable',
        'The gateway cannot check this request right now',
        {
          'retry-after': '2',
        },
      );
    }
    s.upstreamStartedAt = performance.now();
    return reply.from(upstreamUrl(route.upstream, target.path, target.search), {
      timeout: route.timeoutMs,
      // Never retried: reply-from would repeat a GET answered 503 up to ten times, each after the
      // upstream's own Retry-After (read as milliseconds), far past the route's timeout.
      retryDelay: () => null,
      rewriteRequestHeaders: (_r, headers) =>
        forwardedHeaders(headers, {
          requestId: req.id,
          principal: s.principal,
          forwardToken: route.forwardToken,
          filtered: route.claimRules !== undefined,
          clientIp: req.ip,
        }),
      rewriteHeaders: (headers) => {
        metrics.upstream.observe({ route: route.name }, (performance.now() - s.upstreamStartedAt!) / 1000);
        const out = { ...headers };
        // RFC 9110 §7.6.1: hop-by-hop headers end at the gateway.
        for (const h of [
          'connection',
          'keep-alive',
          'transfer-encoding',
          'upgrade',
          'trailer',
          'proxy-authenticate',
        ])
          delete out[h];
        // A HEAD answer must not reveal the size or tags of the unfiltered body.
        if (route.claimRules && req.method === 'HEAD') for (const h of REPRESENTATION_HEADERS) delete out[h];
        if (!route.public) {
          // RFC 9111 §5.2.2.7 / RFC 9110 §12.5.5: a response that depends on the caller's token is not
          // for shared caches.
          out['cache-control'] = privateCacheControl(String(out['cache-control'] ?? ''));
          const vary = String(out.vary ?? '');
          if (!/\bauthorization\b/i.test(vary)) out.vary = vary ? `${vary}, Authorization` : 'Authorization';
        }
        return out;
      },
      onResponse: (_req, res, upstream) => {
        if (!route.claimRules || !s.principal) return void res.send(upstream.stream);
        if (req.method === 'HEAD') {
          // RFC 9110 §8.6: a HEAD answer may leave Content-Length out, but must not state a length other
          // than the GET's; the filtered length is unknown without the body, so none is sent.
          upstream.stream.resume();
          return void res.send();
        }
        // Whatever fails while filtering answers this request 502; it must never end the process.
        sendFiltered(res, upstream.stream, route, s.principal, s.upstreamStartedAt!).catch((err: unknown) => {
          logger.error(
            `request ${req.id}: filtering failed: ${err instanceof Error ? err.message : String(err)}`,
          );
          if (res.sent) return;
          for (const h of REPRESENTATION_HEADERS) res.removeHeader(h);
          sendError(res, 502, 'bad_gateway', 'The upstream response cannot be filtered');
        });
      },
      onError: (res, { error }) => {
        const code = (error as { statusCode?: number }).statusCode;
        // The request body (chunked, no declared length) passed max_body_bytes while being forwarded.
        if (causes(error).some((e) => (e as { statusCode?: number }).statusCode === 413))
          return void sendError(
            res,
            413,
            'invalid_request',
            `The request body is larger than ${config.maxBodyBytes} bytes`,
          );
        if (code === 504)
          return void sendError(
            res,
            504,
            'upstream_timeout',
            `The upstream did not answer within ${route.timeoutMs} ms`,
          );
        return void sendError(res, 502, 'bad_gateway', 'The upstream could not be reached');
      },
    });
  }

  async function authorize(req: FastifyRequest, route: ActiveRoute, search: string): Promise<Principal> {
    const token = bearerTokenOf({
      headers: { authorization: req.headers.authorization },
      query: search ? Object.fromEntries(new URLSearchParams(search)) : {},
    });
    if (token === undefined) throw new MissingTokenError();
    if (token === '') throw refused('malformed');
    const principal = await verifier.verify(token, route.audience!);
    state.get(req)!.principal = principal;
    const missing = route.scopes.some((sc) => !principal.scopes.includes(sc));
    const noneOf = route.scopesAny.length > 0 && !route.scopesAny.some((sc) => principal.scopes.includes(sc));
    if (missing) throw new InsufficientScopeError(route.scopes);
    if (noneOf)
      throw new InsufficientScopeError(
        route.scopesAny,
        `This request requires one of the scopes ${route.scopesAny.join(' ')}`,
      );
    return principal;
  }

  async function sendFiltered(
    reply: AnyReply,
    body: NodeJS.ReadableStream & { destroy(): void },
    route: ActiveRoute,
    principal: Principal,
    startedAt: number,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    // The whole body must be in by the route's timeout (counted from the upstream request): the
    // upstream's per-chunk timeout alone would let a trickling body hold the caller indefinitely.
    let timedOut = false;
    const deadline = setTimeout(
      () => {
        timedOut = true;
        body.destroy();
      },
      Math.max(1, route.timeoutMs - (performance.now() - startedAt)),
    );
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > config.maxBodyBytes) {
          body.destroy();
          metrics.filtered.inc({ route: route.name, outcome: 'refused' });
          return void sendError(
            reply,
            502,
            'bad_gateway',
            'The upstream response is larger than the gateway filters',
          );
        }
        chunks.push(chunk);
      }
    } catch {
      if (!timedOut) return void sendError(reply, 502, 'bad_gateway', 'The upstream response broke off');
    } finally {
      clearTimeout(deadline);
    }
    if (timedOut) {
      for (const h of REPRESENTATION_HEADERS) reply.removeHeader(h);
      return void sendError(
        reply,
        504,
        'upstream_timeout',
        `The upstream did not answer within ${route.timeoutMs} ms`,
      );
    }
    const raw = Buffer.concat(chunks);
    const headers = reply.getHeaders();
    let granted: ReadonlySet<string>;
    try {
      granted = verifier.categoriesGrantedBy(principal.scopes);
    } catch (err) {
      // The claims catalog is not loaded: nothing can be filtered, so nothing is sent.
      for (const h of REPRESENTATION_HEADERS) reply.removeHeader(h);
      const retry = err instanceof OAuthError ? (err.headers['Retry-After'] ?? '2') : '2';
      return void sendError(reply, 503, 'temporarily_unavailable', 'The claims catalog is not loaded yet', {
        'retry-after': retry,
      });
    }
    const result = filterResponse(
      {
        body: raw,
        contentType: headerText(headers['content-type']),
        contentEncoding: headerText(headers['content-encoding']),
        status: reply.statusCode,
      },
      route.claimRules!,
      granted,
      { maxBodyBytes: config.maxBodyBytes },
    );
    metrics.filtered.inc({ route: route.name, outcome: result.kind });
    if (result.kind === 'refused') {
      for (const h of REPRESENTATION_HEADERS) reply.removeHeader(h);
      return void sendError(
        reply,
        502,
        'bad_gateway',
        `The upstream response cannot be filtered: ${result.reason}`,
      );
    }
    if (result.kind === 'passthrough') return void reply.send(raw);
    for (const h of REPRESENTATION_HEADERS) reply.removeHeader(h);
    reply.header('content-type', result.contentType).send(result.body);
  }

  app.addHook('onResponse', async (req, reply) => {
    const s = state.get(req);
    const route = s?.route;
    metrics.requests.inc({
      route: route?.name ?? '-',
      status: String(reply.statusCode),
      client: s?.principal?.clientId ?? '-',
    });
    if (!route || !s?.principal) return;
    verifier.reportUsage({
      jti: s.principal.jti,
      method: req.method,
      path: route.match.path.slice(0, 512),
      route: route.name,
      status: reply.statusCode,
      decision: s.error || s.refusal ? 'denied' : 'allowed',
      scopes_used: [...route.scopes, ...route.scopesAny.filter((sc) => s.principal!.scopes.includes(sc))],
      ...(s.error instanceof OAuthError ? { reason: s.error.error } : s.refusal ? { reason: s.refusal } : {}),
      occurred_at: new Date().toISOString(),
      request_id: req.id,
      ...(req.ip ? { ip: req.ip } : {}),
      ...(typeof req.headers['user-agent'] === 'string'
        ? { user_agent: req.headers['user-agent'].slice(0, 512) }
        : {}),
    });
  });

  verifier.start();
  return {
    app,
    verifier,
    setRoutes: (routes) => {
      matcher = activate(routes);
    },
    listen: () => app.listen({ host: config.listen.host, port: config.listen.port }),
    close: async () => {
      await app.close();
      await verifier.close();
      redis?.disconnect();
    },
  };
}

/** An error and its causes, outermost first (bounded: a cycle cannot loop). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** A request body stream that fails once more than `max` bytes have passed. */
function bounded(payload: IncomingMessage, max: number): Transform {
  let seen = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      seen += chunk.length;
      callback(
        seen > max ? Object.assign(new Error('request body too large'), { statusCode: 413 }) : null,
        chunk,
      );
    },
  });
  payload.on('error', (err) => limiter.destroy(err));
  return payload.pipe(limiter);
}

/**
 * One header's value as text: a header the upstream sent more than once arrives as a list, read as its
 * values joined with commas (RFC 9110 §5.3), which a media type never parses as.
 */
const headerText = (value: unknown): string | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);

const bearerOf = (header: string | undefined): string =>
  header && /^Bearer /i.test(header) ? header.slice(7).trim() : '';

/** Constant-time comparison of two secrets of any length (their digests are compared). */
function sameSecret(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(a), digest(b));
}
