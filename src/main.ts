import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { AuditService } from './audit/audit.service';
import { createApp } from './bootstrap';
import { ConfigError } from './config/env';
import { loadConfig } from './config/load-config';

async function main(): Promise<void> {
  const config = loadConfig();
  const running = await createApp(config);
  const logger = running.app.get(Logger);
  logger.log(
    `Scopegate listening on ${running.url} (issuer ${config.ISSUER}, database: ${config.EMBEDDED_DATABASE ? 'embedded' : 'server'})`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing in-flight requests and shutting down`);
    const timer = setTimeout(() => {
      // API-call events not yet committed go to the disk spool (replayed at the next start), not away.
      const spooled = running.app.get(AuditService).spoolUnwritten();
      process.stderr.write(
        `Shutdown did not finish within ${config.SHUTDOWN_TIMEOUT_MS} ms; ${spooled} unwritten API-call audit event(s) spooled; exiting\n`,
      );
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`Shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError ? err.message : `Start-up failed: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
