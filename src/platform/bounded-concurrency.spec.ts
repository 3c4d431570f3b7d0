import { describe, expect, it } from 'vitest';
import { BoundedConcurrency, SaturatedError } from './bounded-concurrency';

describe('BoundedConcurrency', () => {
  it('runs at most `limit` at once, queues `queueLimit` in order, refuses the rest at once', async () => {
    const gate = new BoundedConcurrency(2, 3);
    const release: (() => void)[] = [];
    const order: number[] = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        order.push(i);
        release.push(() => resolve(i));
      });
    const runs = Array.from({ length: 8 }, (_, i) => gate.run(task(i)));
    const settled = runs.map((p) =>
      p.then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    await Promise.resolve();
    expect(gate.inFlight).toBe(2);
    expect(gate.queued).toBe(3);
    expect(gate.refused).toBe(3);
    for (const r of await Promise.all(settled.slice(5))) expect(r).toBeInstanceOf(SaturatedError);
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect((await Promise.all(settled)).slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(gate.maxInFlight).toBe(2);
    expect(gate.inFlight).toBe(0);
  });

  it('frees the slot when the operation fails', async () => {
    const gate = new BoundedConcurrency(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(() => Promise.resolve(7))).toBe(7);
    expect(gate.inFlight).toBe(0);
  });
});
