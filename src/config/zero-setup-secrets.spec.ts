import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalizeConfig, validateEnv } from './env';
import { fillZeroSetupSecrets } from './zero-setup-secrets';

const load = (raw: Record<string, string>) => finalizeConfig(fillZeroSetupSecrets(validateEnv(raw)));

describe('zero-setup secrets', () => {
  it('generates AUDIT_KEY into DATA_DIR/secrets.json (0600) with the others, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-secrets-'));
    const first = load({ DATA_DIR: dir });
    expect(Buffer.from(first.AUDIT_KEY, 'base64url')).toHaveLength(32);
    const file = join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).AUDIT_KEY).toBe(first.AUDIT_KEY);
    expect(load({ DATA_DIR: dir }).AUDIT_KEY).toBe(first.AUDIT_KEY);
  });

  it('adds AUDIT_KEY to a secrets file written before it existed, keeping the other secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-secrets-'));
    const old = {
      KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
      SECRET_PEPPER: 'an-old-pepper-that-is-long-enough-0123456789',
    };
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify(old), { mode: 0o600 });
    const config = load({ DATA_DIR: dir });
    expect(config).toMatchObject(old);
    expect(config.AUDIT_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toEqual({
      ...old,
      AUDIT_KEY: config.AUDIT_KEY,
    });
  });

  it('never generates it in production', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-secrets-'));
    expect(() =>
      load({
        DATA_DIR: dir,
        NODE_ENV: 'production',
        KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
        SECRET_PEPPER: 'a-pepper-that-is-long-enough-0123456789-abc',
      }),
    ).toThrow('AUDIT_KEY is required');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });
});
