import { describe, expect, it } from 'vitest';
import { formatScope, grantScopes, parseScope } from './scope-syntax';

describe('parseScope', () => {
  it.each([
    ['a b', ['a', 'b']],
    ['customers:read  customers:profile', ['customers:read', 'customers:profile']],
    ['a a', ['a']],
    ['', []],
    ['a "b"', undefined],
    ['a\\b', undefined],
    ['a\tb', undefined],
    ['ümlaut', undefined],
    ['x'.repeat(65), undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseScope(input)).toEqual(expected);
  });
});

describe('grantScopes', () => {
  const allowed = new Set(['customers:read', 'customers:profile']);
  it.each([
    ['nothing requested: every allowed scope', undefined, ['customers:profile', 'customers:read']],
    ['empty request: every allowed scope', [], ['customers:profile', 'customers:read']],
    ['a subset (down-scoping)', ['customers:read'], ['customers:read']],
    ['all', ['customers:profile', 'customers:read'], ['customers:profile', 'customers:read']],
    ['one outside the set', ['customers:read', 'customers:banking'], undefined],
    ['only outside', ['admin'], undefined],
  ])('%s', (_n, requested, expected) => {
    expect(grantScopes(requested, allowed)).toEqual(expected);
  });
});

describe('formatScope', () => {
  it('sorts and joins', () => expect(formatScope(['b', 'a'])).toBe('a b'));
});
