import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { publicJwkOf } from './key-material';
import { KeysService } from './keys.service';

/** A KeysService over a stub signing_keys table; `find` answers what `rows` returns. */
function keysOver(rows: () => Promise<object[]>) {
  const find = vi.fn(rows);
  const dataSource = { getRepository: () => ({ find }) };
  const config = {
    get: (k: string) => (k === 'KEYS_ENCRYPTION_KEY' ? randomBytes(32).toString('base64url') : undefined),
  };
  const notifications = { on: () => undefined, onReconnect: () => undefined };
  const audit = { record: () => Promise.resolve() };
  const keys = new KeysService(dataSource as never, config as never, notifications as never, audit as never);
  return { keys, find };
}

async function publishedRow() {
  const { kid, jwk } = await publicJwkOf(generateKeyPairSync('ed25519').publicKey, 'EdDSA');
  return { kid, alg: 'EdDSA', status: 'next', publicJwk: jwk, publishUntil: null };
}

describe('KeysService.verificationKeyOrReload: the rule for unknown kids', () => {
  it('lookups arriving during a reload wait for it and find the key it brought', async () => {
    const row = await publishedRow();
    const { keys, find } = keysOver(() => new Promise((r) => setTimeout(() => r([row]), 20)));
    const [a, b] = await Promise.all([
      keys.verificationKeyOrReload(row.kid),
      keys.verificationKeyOrReload(row.kid),
    ]);
    expect(a?.kid).toBe(row.kid);
    expect(b?.kid).toBe(row.kid);
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('forged kids cause at most one reload per quiet period', async () => {
    const row = await publishedRow();
    const { keys, find } = keysOver(() => Promise.resolve([row]));
    for (let i = 0; i < 20; i++) expect(await keys.verificationKeyOrReload(`forged-${i}`)).toBeUndefined();
    expect(find).toHaveBeenCalledTimes(1);
    expect(await keys.verificationKeyOrReload(row.kid)).toMatchObject({ kid: row.kid, alg: 'EdDSA' });
  });

  it('a failed reload finds nothing (no exception) and still counts for the quiet period', async () => {
    const { keys, find } = keysOver(() => Promise.reject(new Error('database unavailable')));
    await expect(keys.verificationKeyOrReload('some-kid')).resolves.toBeUndefined();
    await expect(keys.verificationKeyOrReload('some-kid')).resolves.toBeUndefined();
    expect(find).toHaveBeenCalledTimes(1);
  });
});
