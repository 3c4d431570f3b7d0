import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../config/env';
import { SECRET_FIELDS } from '../secret-fields';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'res.headers.authorization',
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

export function loggerModule(config: AppConfig) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.LOG_LEVEL,
      // Fastify's genReqId (bootstrap.ts) already put the validated id on the raw request.
      genReqId: (req: IncomingMessage) => req.id,
      customAttributeKeys: { reqId: 'request_id' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        // Query strings can carry codes and tokens: log the path only.
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // 503 is a known condition (the database is away, logged once per interval by the exception
      // filter), not a failure of this request's code: a warning, like a 4xx.
      customLogLevel: (_req, res, err) =>
        res.statusCode === 503
          ? 'warn'
          : err || res.statusCode >= 500
            ? 'error'
            : res.statusCode >= 400
              ? 'warn'
              : 'info',
    },
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  });
}
