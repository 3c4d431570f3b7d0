import { parseArgs } from 'node:util';
import { GatewayConfigError, describeConfig, loadConfig } from './config';
import type { GatewayConfig } from './config.types';
import { createGateway } from './gateway';
import { processLogger } from './log';
import { compileRoutes } from './paths';
import { compileClaims } from './response-filter';

/** The file, validated, with its routes and claim paths compiled (what would fail later fails now). */
function load(file: string): GatewayConfig {
  const config = loadConfig(file);
  compileRoutes(config.routes);
  for (const r of config.routes) compileClaims(r.claims);
  return config;
}

/**
 * `npm run gateway -- --config gateway.yaml` (or GATEWAY_CONFIG): validates the configuration, starts
 * the gateway, reloads the routes on SIGHUP (a bad file is refused and the running routes kept), and
 * drains in-flight requests on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true });
  const file = values.config ?? process.env.GATEWAY_CONFIG;
  const log = processLogger(process.env.LOG_LEVEL ?? 'info');
  if (!file) {
    log.error('No configuration: pass --config <file.yaml> or set GATEWAY_CONFIG');
    process.exit(2);
  }
  let config: GatewayConfig;
  try {
    config = loadConfig(file);
  } catch (err) {
    log.error(
      err instanceof GatewayConfigError ? `Invalid configuration ${file}:\n${err.message}` : String(err),
    );
    process.exit(2);
  }
  const gateway = await createGateway(config, log, { metricsToken: process.env.METRICS_TOKEN || undefined });
  const address = await gateway.listen();
  log.log(`Scopegate gateway listening on ${address}\n${describeConfig(config)}`);

  process.on('SIGHUP', () => {
    try {
      const next = load(file);
      const fixed = (
        ['listen', 'issuer', 'client', 'failClosed', 'maxBodyBytes', 'redisUrl'] as const
      ).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(config[k]));
      if (fixed.length)
        log.warn(`SIGHUP: ${fixed.join(', ')} changed; these take effect only after a restart`);
      gateway.setRoutes(next.routes);
      config = { ...config, routes: next.routes };
      log.log(`SIGHUP: configuration reloaded\n${describeConfig(config)}`);
    } catch (err) {
      log.error(
        `SIGHUP: the new configuration was refused, the running one is kept:\n${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  });
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    log.log(`${signal}: finishing in-flight requests`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void gateway.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main().catch((err: unknown) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
