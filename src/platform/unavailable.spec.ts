import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { RateLimitedLog, unavailableKind } from './unavailable';

const err = (message: string, props: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), props);

describe('unavailableKind: the database cannot be reached right now', () => {
  it.each([
    [
      'connection refused',
      err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
      'ECONNREFUSED',
    ],
    ['both addresses refused', new AggregateError([err('x', { code: 'ECONNREFUSED' })], ''), 'ECONNREFUSED'],
    ['reset', err('read ECONNRESET', { code: 'ECONNRESET' }), 'ECONNRESET'],
    [
      'admin shutdown',
      err('terminating connection due to administrator command', { code: '57P01' }),
      '57P01',
    ],
    ['starting up', err('the database system is starting up', { code: '57P03' }), '57P03'],
    ['too many connections', err('sorry, too many clients already', { code: '53300' }), '53300'],
    ['connection exception', err('x', { code: '08006' }), '08006'],
    ['pool timeout', err('timeout exceeded when trying to connect'), 'pool timeout'],
    ['cut mid-query', err('Connection terminated unexpectedly'), 'connection terminated'],
    [
      'a transaction whose connection died (TypeORM)',
      err(
        'Database connection provided by a query runner was already released, cannot continue to use its querying methods anymore.',
      ),
      'query runner was already released',
    ],
    [
      'a query on a released runner (TypeORM)',
      err('Query runner already released. Cannot run queries anymore.'),
      'query runner already released',
    ],
    [
      'Redis gave up on a command (ioredis)',
      err(
        'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
      ),
      'reached the max retries per request limit',
    ],
    [
      'wrapped by TypeORM',
      err('query failed', { driverError: err('terminating connection', { code: '57P01' }) }),
      '57P01',
    ],
  ])('%s', (_name, e, kind) => {
    expect(unavailableKind(e)).toBe(kind);
  });

  it.each([
    ['a unique violation', err('duplicate key', { code: '23505' })],
    ['a syntax error', err('syntax error', { code: '42601' })],
    ['a bug', new TypeError('x is undefined')],
    ['not an error', 'boom'],
  ])('not %s', (_name, e) => {
    expect(unavailableKind(e)).toBeUndefined();
  });
});

describe('RateLimitedLog', () => {
  it('logs one line per kind per interval and counts the rest', () => {
    const logger = { error: vi.fn() } as unknown as Logger;
    const log = new RateLimitedLog(logger, 1000);
    const now = vi.spyOn(Date, 'now').mockReturnValue(10_000);
    for (let i = 0; i < 50; i++) log.error('ECONNREFUSED', 'database unavailable');
    log.error('57P01', 'database unavailable');
    expect(logger.error).toHaveBeenCalledTimes(2);
    now.mockReturnValue(11_500);
    log.error('ECONNREFUSED', 'database unavailable');
    expect(logger.error).toHaveBeenLastCalledWith(
      'database unavailable (49 similar suppressed in the last interval)',
    );
    now.mockRestore();
  });
});
