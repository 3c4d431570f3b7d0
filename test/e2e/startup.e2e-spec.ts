import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/app';
import { spawnServer, waitForOk } from '../support/process';

const tempDir = () => mkdtempSync(join(tmpdir(), 'scopegate-start-'));

describe('start-up configuration errors', () => {
  it.each([
    ['PORT', { PORT: 'abc' }, 'Invalid configuration: PORT must be an integer between 0 and 65535'],
    [
      'PORT out of range',
      { PORT: '70000' },
      'Invalid configuration: PORT must be an integer between 0 and 65535',
    ],
    [
      'DATABASE_URL scheme',
      { DATABASE_URL: 'mysql://root@localhost/x' },
      'Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL',
    ],
    [
      'DATABASE_URL unreachable',
      { DATABASE_URL: 'postgres://u:hunter2hunter2@127.0.0.1:1/db' },
      'Invalid configuration: DATABASE_URL cannot be reached',
    ],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL must be one of'],
    [
      'production without secrets',
      { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@127.0.0.1:1/db' },
      'Invalid configuration: KEYS_ENCRYPTION_KEY is required',
    ],
    [
      'production without AUDIT_KEY',
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u@127.0.0.1:1/db',
        KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
        SECRET_PEPPER: 'a-test-pepper-that-is-long-enough-0123456789',
      },
      'Invalid configuration: AUDIT_KEY is required',
    ],
    [
      'production placeholder',
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u@127.0.0.1:1/db',
        KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
        SECRET_PEPPER: 'change-me-change-me-change-me-change-me',
      },
      'Invalid configuration: SECRET_PEPPER looks like a placeholder',
    ],
    [
      'ADMIN_CLIENT_SECRET too short',
      { ADMIN_CLIENT_ID: 'admin', ADMIN_CLIENT_SECRET: 'short' },
      'Invalid configuration: ADMIN_CLIENT_SECRET must be at least 32 characters',
    ],
  ])('%s: one line naming the variable, non-zero exit', async (_name, env, message) => {
    const proc = spawnServer({ DATA_DIR: tempDir(), LOG_LEVEL: 'warn', ...env });
    const code = await proc.exited;
    expect(code).not.toBe(0);
    const stderr = proc.stderr().trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr + proc.stdout()).not.toContain('hunter2hunter2');
  });
});

describe('zero-setup start', () => {
  it('serves /health/ready within 30 s, stops cleanly on SIGTERM, and reuses DATA_DIR', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', SEED_DEMO: 'false' };

    const first = spawnServer(env);
    await waitForOk(`http://127.0.0.1:${port}/health/ready`, 30_000);
    const secrets = readFileSync(join(dataDir, 'secrets.json'), 'utf8');
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.stdout()).toContain('SIGTERM received');

    const second = spawnServer(env);
    await waitForOk(`http://127.0.0.1:${port}/health/ready`, 30_000);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toBe('');
  }, 90_000);
});
