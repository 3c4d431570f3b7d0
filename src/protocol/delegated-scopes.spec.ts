import { describe, expect, it } from 'vitest';
import { clientRequestedScopes, consentCovers, userGrantableScopes } from './delegated-scopes';

const client = new Set(['openid', 'profile', 'customers:read', 'customers:profile', 'customers:address']);
const user = new Set(['openid', 'customers:read', 'customers:profile', 'customers:banking']);

describe('scope intersection: requested ∩ client ∩ user', () => {
  it.each([
    ['no scope: everything the client may have', undefined, { scopes: [...client].sort() }],
    ['a subset', ['customers:read', 'openid'], { scopes: ['customers:read', 'openid'] }],
    ['one outside the client', ['customers:read', 'customers:banking'], { outside: ['customers:banking'] }],
    ['unknown scope', ['nope'], { outside: ['nope'] }],
  ])('client side: %s', (_n, requested, expected) => {
    expect(clientRequestedScopes(requested, client)).toEqual(expected);
  });

  it.each([
    [
      ['customers:read', 'customers:address', 'openid'],
      ['customers:read', 'openid'],
    ],
    [['customers:address'], []],
    [['profile', 'customers:profile'], ['customers:profile']],
  ])('user side: %j → %j', (requested, expected) => {
    expect(userGrantableScopes(requested, user)).toEqual(expected);
  });

  it.each([
    [undefined, ['a'], false],
    [['a', 'b'], ['a'], true],
    [['a', 'b'], ['a', 'b'], true],
    [['a'], ['a', 'b'], false],
    [[], [], true],
  ])('consent %j covers %j: %j', (consented, scopes, expected) => {
    expect(consentCovers(consented, scopes)).toBe(expected);
  });
});
