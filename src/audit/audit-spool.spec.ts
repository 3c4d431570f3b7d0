import { appendFileSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditSpool } from './audit-spool';

const event = (key: string) => ({ key, at: '2026-12-01T00:00:00.000Z', event: { type: 'api.call' } });

describe('AuditSpool', () => {
  it('appends, claims, reads and removes; a torn last line is counted, not fatal', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'spool-')), 'audit-spool');
    const spool = new AuditSpool<{ type: string }>(dir);
    expect(spool.hasFiles()).toBe(false);
    spool.append([event('a'), event('b')]);
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file), '{"key":"c","at":');
    expect(spool.hasFiles()).toBe(true);
    const claimed = spool.claim();
    expect(claimed).toEqual([`${file}.replay-${process.pid}`]);
    expect(spool.claim()).toEqual([]); // already ours
    const { events, unreadable } = spool.read(claimed[0]);
    expect(events.map((e) => e.key)).toEqual(['a', 'b']);
    expect(unreadable).toBe(1);
    spool.remove(claimed[0]);
    expect(spool.hasFiles()).toBe(false);
  });

  it('appends after a claim go to a new file; a released file is claimed again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new AuditSpool<{ type: string }>(dir);
    spool.append([event('a')]);
    const [first] = spool.claim();
    spool.append([event('b')]);
    expect(readdirSync(dir)).toHaveLength(2);
    spool.release(first);
    expect(spool.claim()).toHaveLength(2);
  });

  it('takes over a claim left by a process that is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const spool = new AuditSpool<{ type: string }>(dir);
    spool.append([event('a')]);
    const [name] = readdirSync(dir);
    renameSync(join(dir, name), join(dir, `${name}.replay-999999999`));
    expect(spool.claim()).toEqual([`${name}.replay-${process.pid}`]);
  });
});
