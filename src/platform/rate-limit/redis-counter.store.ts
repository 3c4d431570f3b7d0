import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { CounterStore, WindowCount } from './counter-store';

/** KEYS: the counters; ARGV[1]: window (ms). INCR, and PEXPIRE when the key has no expiry yet. */
const INCREMENT = `
local out = {}
for _, k in ipairs(KEYS) do
  local c = redis.call('INCR', k)
  local t = redis.call('PTTL', k)
  if t < 0 then redis.call('PEXPIRE', k, ARGV[1]); t = tonumber(ARGV[1]) end
  out[#out + 1] = c
  out[#out + 1] = t
end
return out`;

const DECREMENT = `
for _, k in ipairs(KEYS) do
  local c = tonumber(redis.call('GET', k) or '0')
  if c > 0 then redis.call('DECR', k) end
end
return 0`;

const PEEK = `
local out = {}
for _, k in ipairs(KEYS) do
  out[#out + 1] = tonumber(redis.call('GET', k) or '0')
  out[#out + 1] = redis.call('PTTL', k)
end
return out`;

const TAKE = `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('DEL', KEYS[1])
return c`;

const PREFIX = 'scopegate:rl:';

/**
 * {@link CounterStore} in Redis (REDIS_URL): each operation is one Lua script, which Redis runs
 * atomically; expiry is Redis's own (PEXPIRE), so nothing needs pruning. The keys of one call may
 * go to one Redis only (no Redis Cluster).
 */
export class RedisCounterStore implements CounterStore, OnModuleDestroy {
  private readonly log = new Logger(RedisCounterStore.name);
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
    this.redis.on('error', (err: Error) => this.log.warn(`Redis: ${err.message}`));
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async increment(keys: readonly string[], windowMs: number): Promise<WindowCount[]> {
    if (keys.length === 0) return [];
    const out = (await this.redis.eval(
      INCREMENT,
      keys.length,
      ...this.keys(keys),
      Math.ceil(windowMs),
    )) as number[];
    return pairs(out);
  }

  async decrement(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.eval(DECREMENT, keys.length, ...this.keys(keys));
  }

  async peek(keys: readonly string[]): Promise<WindowCount[]> {
    if (keys.length === 0) return [];
    return pairs((await this.redis.eval(PEEK, keys.length, ...this.keys(keys))) as number[]);
  }

  async take(key: string): Promise<number> {
    return Number(await this.redis.eval(TAKE, 1, PREFIX + key));
  }

  private keys(keys: readonly string[]): string[] {
    return keys.map((k) => PREFIX + k);
  }
}

function pairs(flat: number[]): WindowCount[] {
  const out: WindowCount[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const count = Number(flat[i]);
    out.push({ count, resetInMs: count > 0 ? Math.max(0, Number(flat[i + 1])) : 0 });
  }
  return out;
}
