import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from './env';

interface StoredSecrets {
  KEYS_ENCRYPTION_KEY: string;
  SECRET_PEPPER: string;
}

/**
 * Zero-setup mode: secrets that are not configured are generated once into
 * `DATA_DIR/secrets.json` (mode 0600) and reused on every later start, so that encrypted keys
 * and hashed client secrets stay readable. Production never generates them.
 */
export function fillZeroSetupSecrets(env: Env): Env {
  if (env.NODE_ENV === 'production') return env;
  if (env.KEYS_ENCRYPTION_KEY && env.SECRET_PEPPER) return env;
  mkdirSync(env.DATA_DIR, { recursive: true });
  const file = join(env.DATA_DIR, 'secrets.json');
  let stored: StoredSecrets;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets;
  } else {
    stored = {
      KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      SECRET_PEPPER: randomBytes(32).toString('base64url'),
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  env.KEYS_ENCRYPTION_KEY ??= stored.KEYS_ENCRYPTION_KEY;
  env.SECRET_PEPPER ??= stored.SECRET_PEPPER;
  return env;
}
