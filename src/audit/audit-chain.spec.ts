import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  ChainWalk,
  checkpointSignature,
  eventHash,
  GENESIS_HASH,
  legacyEventHash,
  type ChainedEvent,
  type ChainFinding,
} from './audit-chain';
import type { AuditEventEntity } from './audit-event.entity';
import { AuditKeys } from './audit-keys';

const keys = AuditKeys.fromKey('k'.repeat(43));
const wrongKeys = AuditKeys.fromKey('w'.repeat(43));
const keyed = (e: ChainedEvent) => eventHash(e, keys.chain);

function chain(n: number, hash: (e: ChainedEvent) => string = keyed): AuditEventEntity[] {
  const out: AuditEventEntity[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = {
      id: i,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      type: i === 3 ? 'login.failed' : 'token.issued',
      outcome: (i === 3 ? 'failure' : 'success') as AuditEventEntity['outcome'],
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
    e.hash = hash(e);
    prev = e.hash;
    out.push(e);
  }
  return out;
}

/** Re-links and re-hashes rows from index `from` on, as an attacker with write access would. */
function recompute(c: AuditEventEntity[], from: number, hash: (e: ChainedEvent) => string) {
  for (let i = from; i < c.length; i++) {
    c[i].prevHash = i === 0 ? GENESIS_HASH : c[i - 1].hash;
    c[i].hash = hash(c[i]);
  }
}

function walk(c: AuditEventEntity[], start = { id: 0, hash: GENESIS_HASH }): ChainFinding | undefined {
  const w = new ChainWalk(start, { hashOf: keyed });
  for (const e of c) {
    const found = w.push(e);
    if (found) return found;
  }
  return w.end();
}

describe('audit hash chain', () => {
  it('canonicalJson sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });

  it('is keyed: the unkeyed function and another key give other hashes', () => {
    const [e] = chain(1);
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(legacyEventHash(e)).not.toBe(e.hash);
    expect(eventHash(e, wrongKeys.chain)).not.toBe(e.hash);
    expect(eventHash(e, keys.checkpoint)).not.toBe(e.hash);
  });

  it('an intact chain has no finding', () => {
    expect(walk(chain(5))).toBeUndefined();
  });

  it.each([
    ['the unkeyed function', legacyEventHash],
    ['a keyed function under a wrong key', (e: ChainedEvent) => eventHash(e, wrongKeys.chain)],
  ])('names a failed login edited into a success, every later hash recomputed with %s', (_n, forge) => {
    const c = chain(6);
    Object.assign(c[2], { type: 'login.succeeded', outcome: 'success' });
    recompute(c, 2, forge);
    expect(walk(c)).toMatchObject({ id: 3, reason: 'edited' });
  });

  it.each([
    ['a changed field', (c: AuditEventEntity[]) => (c[2].outcome = 'success'), 3],
    ['changed details', (c: AuditEventEntity[]) => (c[1].details = { scope: 'admin', n: 2 }), 2],
    ['a changed time', (c: AuditEventEntity[]) => (c[4].occurredAt = new Date(0)), 5],
    ['an edited last row', (c: AuditEventEntity[]) => (c[5].actor = 'mallory'), 6],
  ])('names %s as edited', (_n, tamper, id) => {
    const c = chain(6);
    tamper(c);
    expect(walk(c)).toMatchObject({ id, reason: 'edited' });
  });

  it('names the missing id of a removed row, also when later rows were re-linked', () => {
    const c = chain(6);
    c.splice(3, 1);
    expect(walk(c)).toMatchObject({ id: 4, reason: 'removed' });
    const relinked = chain(6);
    relinked.splice(3, 1);
    recompute(relinked, 3, legacyEventHash);
    expect(walk(relinked)).toMatchObject({ id: 4, reason: 'removed' });
  });

  it('names an inserted row (later rows renumbered to make room)', () => {
    const c = chain(6);
    const forged = { ...c[2], type: 'login.succeeded', outcome: 'success' as const, prevHash: c[1].hash };
    forged.hash = legacyEventHash(forged);
    for (const e of c.slice(2)) e.id++;
    c.splice(2, 0, forged);
    expect(walk(c)).toMatchObject({ id: 3, reason: 'inserted' });
  });

  it('continues from a checkpoint and checks only the rows after it', () => {
    const c = chain(6);
    const w = new ChainWalk({ id: 3, hash: c[2].hash }, { hashOf: keyed });
    for (const e of c.slice(3)) expect(w.push(e)).toBeUndefined();
    expect(w.end()).toBeUndefined();
    expect(w.checked).toBe(3);
    expect(walk(c.slice(3), { id: 3, hash: c[1].hash })).toMatchObject({ id: 4, reason: 'edited' });
  });

  it('holds unkeyed rows to a signed checkpoint hash', () => {
    const c = chain(4, legacyEventHash);
    const anchors = new Map([[4, c[3].hash]]);
    c[1].outcome = 'failure';
    recompute(c, 1, legacyEventHash);
    const w = new ChainWalk({ id: 0, hash: GENESIS_HASH }, { hashOf: legacyEventHash, anchors });
    const found = c.map((e) => w.push(e)).find(Boolean);
    expect(found).toMatchObject({ id: 4, reason: 'edited' });
  });

  it('signs checkpoints under their own key', () => {
    const claim = { kind: 'verify' as const, eventId: 7, eventHash: 'a'.repeat(64), createdAt: new Date(0) };
    const sig = checkpointSignature(claim, keys.checkpoint);
    expect(checkpointSignature(claim, keys.checkpoint)).toBe(sig);
    expect(checkpointSignature({ ...claim, eventId: 8 }, keys.checkpoint)).not.toBe(sig);
    expect(checkpointSignature(claim, keys.chain)).not.toBe(sig);
    expect(checkpointSignature(claim, createSecretKey(Buffer.alloc(32)))).not.toBe(sig);
  });
});
