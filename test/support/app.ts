import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type RunningApp } from '../../src/bootstrap';
import { finalizeConfig, validateEnv, type AppConfig } from '../../src/config/env';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestApp extends RunningApp {
  config: AppConfig;
  db: TestDatabase;
  /** Stops the app and drops its database. */
  stop(): Promise<void>;
}

export const TEST_KEYS_ENCRYPTION_KEY = 'k'.repeat(42) + 'Q';
export const TEST_SECRET_PEPPER = 'test-pepper-'.padEnd(40, 'p');
export const TEST_AUDIT_KEY = 'a'.repeat(42) + 'A';

/** A free loopback port, so that ISSUER is known before the app starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return finalizeConfig(
    validateEnv({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'scopegate-data-')),
      KEYS_ENCRYPTION_KEY: TEST_KEYS_ENCRYPTION_KEY,
      SECRET_PEPPER: TEST_SECRET_PEPPER,
      AUDIT_KEY: TEST_AUDIT_KEY,
      AUDIT_CHECKPOINT_INTERVAL: '0',
      SEED_DEMO: 'false',
      DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
      ...overrides,
    }),
  );
}

/** Boots the real AppModule on Fastify, on a fresh database with the real migrations. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const port = overrides.PORT ?? String(await freePort());
  const config = testConfig({ PORT: port, ISSUER: `http://127.0.0.1:${port}`, ...overrides });
  try {
    const running = await createApp(config, {
      databaseUrl: db.url,
      poolSize: db.poolSize,
      embedded: db.embedded,
    });
    return {
      ...running,
      config,
      db,
      stop: async () => {
        await running.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
