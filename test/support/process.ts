import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TEST_AUDIT_KEY, TEST_KEYS_ENCRYPTION_KEY, TEST_SECRET_PEPPER } from './app';
import { ADMIN_ID, ADMIN_SECRET } from './oauth';

export const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
/** The example API protected by @scopegate/nest (built by `npm run build`). */
/** The gateway (packages/gateway, built by `npm run build`). */
export const GATEWAY_MAIN = join(__dirname, '..', '..', 'packages', 'gateway', 'dist', 'main.js');
export const ORDERS_API_MAIN = join(__dirname, '..', '..', 'examples', 'orders-api', 'dist', 'main.js');

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * What every server process on one database must share with the others (and with the in-process test
 * app): the keys, the pepper, the audit key, the bootstrapped admin client. Tests spread it and add their
 * own settings (PORT first of all).
 */
export function sharedInstanceEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ISSUER: 'http://scopegate.test',
    LOG_LEVEL: 'warn',
    KEYS_ENCRYPTION_KEY: TEST_KEYS_ENCRYPTION_KEY,
    SECRET_PEPPER: TEST_SECRET_PEPPER,
    AUDIT_KEY: TEST_AUDIT_KEY,
    ADMIN_CLIENT_ID: ADMIN_ID,
    ADMIN_CLIENT_SECRET: ADMIN_SECRET,
  };
}

/** Runs the built server (`dist/src/main.js`, as `npm start` does) with exactly this environment. */
export function spawnServer(env: Record<string, string>): Spawned {
  return spawnScript(MAIN, env);
}

/** Runs a built Node program with exactly this environment, its output collected. */
export function spawnScript(script: string, env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls until the URL answers 200, or fails after `timeoutMs`. */
export async function waitForOk(url: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
