import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { answerClientError } from './platform/http/client-error';
import { useStrictJsonBodies } from './platform/http/json-body.parser';
import { noStoreWithCredentials } from './platform/http/no-store.hook';
import { refuseUnstorableText } from './platform/http/nul-guard';
import { REQUEST_ID_HEADER, requestIdFor } from './platform/http/request-id';
import type { AppConfig } from './config/env';
import { EmbeddedPostgres } from './platform/db/embedded-postgres';
import { probeDatabase } from './platform/db/probe';
import { MetricsService } from './platform/metrics/metrics.service';
import { startMetricsServer } from './ops/metrics-access';
import { setupSwagger } from './swagger';

export interface RunningApp {
  app: NestFastifyApplication;
  /** Base URL the server listens on (port resolved when PORT=0). */
  url: string;
  /** Graceful stop: stop accepting, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

export interface CreateAppOptions {
  /** Use this database instead of DATABASE_URL or the embedded one (tests). */
  databaseUrl?: string;
  poolSize?: number;
  /** The given databaseUrl is an embedded PGlite (tests). */
  embedded?: boolean;
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<RunningApp> {
  const embedded =
    options.databaseUrl || !config.EMBEDDED_DATABASE
      ? undefined
      : await EmbeddedPostgres.start(join(config.DATA_DIR, 'pgdata'));
  const url = options.databaseUrl ?? config.DATABASE_URL ?? embedded!.url;
  const poolSize = options.poolSize ?? (embedded ? EmbeddedPostgres.poolSize : config.DATABASE_POOL_SIZE);

  let app: NestFastifyApplication;
  try {
    if (!embedded) await probeDatabase(url);
    const adapter = new FastifyAdapter({
      trustProxy: config.TRUST_PROXY,
      genReqId: (req: IncomingMessage) => String((req.id = requestIdFor(req))),
      bodyLimit: 256 * 1024,
      return503OnClosing: true,
      clientErrorHandler: answerClientError,
      // Slow clients: a request (headers and body) not received in time is answered 408 and closed.
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxRequestsPerSocket: config.HTTP_MAX_REQUESTS_PER_SOCKET,
      http: {
        requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
        headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
        // How often node checks those two timeouts (its default, 30 s, would double the cut-off).
        connectionsCheckingInterval: Math.min(1000, Math.ceil(config.HTTP_HEADERS_TIMEOUT_MS / 4)),
      },
    });
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({
        config,
        database: {
          url,
          poolSize,
          migrationsRun: config.MIGRATIONS_RUN,
          embedded: Boolean(embedded) || Boolean(options.embedded),
        },
      }),
      adapter,
      { bufferLogs: true, abortOnError: false },
    );
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  app.useLogger(app.get(Logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
  useStrictJsonBodies(app, fastify.initialConfig.bodyLimit!);
  fastify.addHook('preValidation', refuseUnstorableText);
  fastify.addHook('onSend', noStoreWithCredentials);
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime);
  });
  await app.register(helmet, {
    frameguard: { action: 'deny' },
    contentSecurityPolicy: {
      directives: {
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        // Only an https issuer may tell browsers to upgrade; on http://localhost it would break the pages.
        upgradeInsecureRequests: config.ISSUER.startsWith('https:') ? [] : null,
      },
    },
  });
  await app.init(); // runs migrations' dependants: key generation, bootstrap admin client, demo seed
  await setupSwagger(app, config);

  let metricsServer: Server | undefined;
  if (config.METRICS_PORT !== undefined) {
    try {
      metricsServer = await startMetricsServer(metrics, {
        host: config.HOST,
        port: config.METRICS_PORT,
        token: config.METRICS_TOKEN,
      });
    } catch (err) {
      await app.close();
      await embedded?.stop();
      throw err;
    }
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;

  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`,
    close: () =>
      (closing ??= (async () => {
        try {
          if (metricsServer) {
            const closed = new Promise((resolve) => metricsServer!.close(resolve));
            metricsServer.closeAllConnections();
            await closed;
          }
          await app.close();
        } finally {
          await embedded?.stop();
        }
      })()),
  };
}
