import { describe, expect, it } from 'vitest';
import { ConfigError, finalizeConfig, validateEnv } from './env';

const SECRETS = {
  KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
  SECRET_PEPPER: 'a-pepper-that-is-long-enough-0123456789',
  AUDIT_KEY: 'Zm9yLWEtdGVzdC1vbmx5LTMyLWJ5dGVzLW9mLWtleQ8',
};
const config = (raw: Record<string, string>) => finalizeConfig(validateEnv({ ...SECRETS, ...raw }));
const refusal = (raw: Record<string, string>) => {
  try {
    config(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  return undefined;
};

describe('configuration: proxies, HTTP timeouts, demo principals', () => {
  it('reads TRUST_PROXY as false, true, or a list of addresses, CIDR ranges and range names', () => {
    expect(config({}).TRUST_PROXY).toBe(false);
    expect(config({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(config({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).TRUST_PROXY).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['yes-please', '10.0.0.0/33', '10.0.0.300', '127.0.0.1,', 'fd00::/129', '10.0.0.0/8/1'])(
    'refuses TRUST_PROXY=%j',
    (value) => expect(refusal({ TRUST_PROXY: value })).toBe('TRUST_PROXY'),
  );

  it('refuses TRUST_PROXY=true in production, naming the variable', () => {
    expect(refusal({ NODE_ENV: 'production', TRUST_PROXY: 'true' })).toBe('TRUST_PROXY');
    expect(config({ NODE_ENV: 'production', TRUST_PROXY: '10.0.0.0/8' }).TRUST_PROXY).toEqual(['10.0.0.0/8']);
  });

  it('has slow-client defaults that cut a trickled request within 30 s, and keeps headers ≤ request', () => {
    const c = config({});
    expect(c.HTTP_REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(30000);
    expect(c.HTTP_HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(c.HTTP_REQUEST_TIMEOUT_MS);
    expect(refusal({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '5000' })).toBe(
      'HTTP_HEADERS_TIMEOUT_MS',
    );
    expect(refusal({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toBe('HTTP_REQUEST_TIMEOUT_MS');
  });

  it('seeds demo principals outside production only; refuses forcing them in production', () => {
    expect(config({ SEED_DEMO: 'true' }).SEED_DEMO_PRINCIPALS).toBe(true);
    expect(config({ NODE_ENV: 'production', SEED_DEMO: 'true' }).SEED_DEMO_PRINCIPALS).toBe(false);
    expect(config({ NODE_ENV: 'production' })).toMatchObject({
      SEED_DEMO: true,
      SEED_DEMO_PRINCIPALS: false,
    });
    expect(refusal({ NODE_ENV: 'production', SEED_DEMO_PRINCIPALS: 'true' })).toBe('SEED_DEMO_PRINCIPALS');
  });

  it('serves POST /auth (SIMPLE_LOGIN) outside production by default; production must opt in', () => {
    expect(config({}).SIMPLE_LOGIN).toBe(true);
    expect(config({ NODE_ENV: 'production' }).SIMPLE_LOGIN).toBe(false);
    expect(config({ NODE_ENV: 'production', SIMPLE_LOGIN: 'true' }).SIMPLE_LOGIN).toBe(true);
    expect(config({ SIMPLE_LOGIN: 'off' }).SIMPLE_LOGIN).toBe(false);
    expect(refusal({ SIMPLE_LOGIN: 'maybe' })).toBe('SIMPLE_LOGIN');
  });

  it('reads METRICS_PORT (not the main port) and METRICS_TOKEN (≥ 32 characters)', () => {
    expect(config({})).toMatchObject({ METRICS_PORT: undefined, METRICS_TOKEN: undefined });
    expect(config({ PORT: '3000', METRICS_PORT: '9464' }).METRICS_PORT).toBe(9464);
    expect(refusal({ PORT: '3000', METRICS_PORT: '3000' })).toBe('METRICS_PORT');
    expect(refusal({ METRICS_PORT: '70000' })).toBe('METRICS_PORT');
    expect(refusal({ METRICS_PORT: '0' })).toBe('METRICS_PORT');
    expect(config({ METRICS_TOKEN: 't'.repeat(31) + 'x' }).METRICS_TOKEN).toHaveLength(32);
    expect(refusal({ METRICS_TOKEN: 'short' })).toBe('METRICS_TOKEN');
    expect(refusal({ NODE_ENV: 'production', METRICS_TOKEN: 'change-me-'.padEnd(40, 'x') })).toBe(
      'METRICS_TOKEN',
    );
  });
});

describe('configuration: AUDIT_KEY', () => {
  const withoutAuditKey = (raw: Record<string, string>) => {
    try {
      finalizeConfig(validateEnv({ ...SECRETS, AUDIT_KEY: '', ...raw }));
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    return undefined;
  };

  it('is required in production, and the refusal names it', () => {
    const err = withoutAuditKey({ NODE_ENV: 'production' });
    expect(err?.variable).toBe('AUDIT_KEY');
    expect(err?.message).toContain('AUDIT_KEY is required');
  });

  it('accepts 32 bytes or more, hex or base64/base64url; refuses less and placeholders in production', () => {
    expect(config({ AUDIT_KEY: 'ab'.repeat(32) }).AUDIT_KEY).toBe('ab'.repeat(32));
    expect(config({ AUDIT_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w=' }).AUDIT_KEY).toHaveLength(44);
    expect(refusal({ AUDIT_KEY: 'ab'.repeat(31) })).toBe('AUDIT_KEY');
    expect(refusal({ AUDIT_KEY: 'too short' })).toBe('AUDIT_KEY');
    expect(refusal({ NODE_ENV: 'production', AUDIT_KEY: 'x'.repeat(64) })).toBe('AUDIT_KEY');
  });
});
