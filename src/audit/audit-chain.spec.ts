import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, firstBrokenLink, GENESIS_HASH } from './audit-chain';
import type { AuditEventEntity } from './audit-event.entity';

function chain(n: number): AuditEventEntity[] {
  const out: AuditEventEntity[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = {
      id: i,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      type: 'token.issued',
      outcome: 'success' as const,
      actor: 'client-a',
      subject: 'client-a',
      clientId: 'client-a',
      jti: `jti-${i}`,
      requestId: `req-${i}`,
      ip: '127.0.0.1',
      userAgent: 'test',
      details: { scope: 'a b', n: i },
      prevHash: prev,
      hash: '',
    };
    e.hash = eventHash(e);
    prev = e.hash;
    out.push(e);
  }
  return out;
}

describe('audit hash chain', () => {
  it('canonicalJson sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });

  it('an intact chain has no broken link', () => {
    expect(firstBrokenLink(chain(5), undefined)).toBeUndefined();
  });

  it.each([
    ['a changed field', (c: AuditEventEntity[]) => (c[2].outcome = 'failure'), 3],
    ['changed details', (c: AuditEventEntity[]) => (c[1].details = { scope: 'admin', n: 2 }), 2],
    ['a removed row', (c: AuditEventEntity[]) => c.splice(3, 1), 5],
    [
      'a recomputed hash without relinking',
      (c: AuditEventEntity[]) => {
        c[0].actor = 'mallory';
        c[0].hash = eventHash(c[0]);
      },
      2,
    ],
    ['a changed time', (c: AuditEventEntity[]) => (c[4].occurredAt = new Date(0)), 5],
  ])('finds %s', (_name, tamper, expected) => {
    const c = chain(5);
    tamper(c);
    expect(firstBrokenLink(c, undefined)).toBe(expected);
  });

  it('continues from a previous page', () => {
    const c = chain(6);
    expect(firstBrokenLink(c.slice(3), c[2])).toBeUndefined();
    expect(firstBrokenLink(c.slice(3), c[1])).toBe(4);
  });
});
