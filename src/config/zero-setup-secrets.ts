import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from './env';

const GENERATED = ['KEYS_ENCRYPTION_KEY', 'SECRET_PEPPER', 'AUDIT_KEY'] as const;
type StoredSecrets = Partial<Record<(typeof GENERATED)[number], string>>;

/**
 * Zero-setup mode: secrets that are not configured are generated once into
 * `DATA_DIR/secrets.json` (mode 0600) and reused on every later start, so that encrypted keys,
 * hashed client secrets and the keyed audit chain stay readable. A secret added in a later version
 * (AUDIT_KEY) is generated into an existing file without touching the others. Production never
 * generates them.
 */
export function fillZeroSetupSecrets(env: Env): Env {
  if (env.NODE_ENV === 'production') return env;
  if (GENERATED.every((name) => env[name])) return env;
  mkdirSync(env.DATA_DIR, { recursive: true });
  const file = join(env.DATA_DIR, 'secrets.json');
  const stored: StoredSecrets = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets)
    : {};
  const missing = GENERATED.filter((name) => !stored[name]);
  if (missing.length > 0) {
    for (const name of missing) stored[name] = randomBytes(32).toString('base64url');
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  for (const name of GENERATED) env[name] ??= stored[name];
  return env;
}
