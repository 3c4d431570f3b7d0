import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  it.each([
    ['short', 'alice', /at least 10/],
    ['Password123', 'alice', /too common/],
    ['alice-is-great-2026', 'Alice', /username/],
    ['aaaaaaaaaaaaaaaa', 'bob', /5 different/],
    ['x'.repeat(257), 'bob', /at most 256/],
  ])('refuses %j', (pw, user, message) => {
    expect(passwordProblem(pw, user)).toMatch(message);
  });

  it('accepts a long passphrase', () => {
    expect(passwordProblem('plum tractor elbow 42', 'alice')).toBeUndefined();
  });
});
