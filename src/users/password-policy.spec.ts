import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  it.each([
    ['short', 'alice', /at least 10/],
    ['Password123', 'alice', /too common/],
    ['qwerty123456', 'alice', /too common/],
    ['password12', 'alice', /too common/],
    ['1qaz2wsx3edc', 'alice', /too common/],
    ['iloveyou12', 'alice', /too common/],
    ['Football123', 'alice', /too common/],
    ['1q2w3e4r5t', 'alice', /too common/],
    ['changeme123', 'alice', /too common/],
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
