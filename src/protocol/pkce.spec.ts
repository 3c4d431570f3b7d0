import { describe, expect, it } from 'vitest';
import { challengeProblem, s256, verifyPkce } from './pkce';

// RFC 7636 Appendix B
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE (RFC 7636)', () => {
  it('computes the RFC 7636 Appendix B S256 challenge', () => {
    expect(s256(VERIFIER)).toBe(CHALLENGE);
  });

  it.each([
    ['the right verifier', VERIFIER, true],
    ['another verifier', VERIFIER.slice(0, -1) + 'Y', false],
    ['the challenge itself', CHALLENGE, false],
    ['a too-short verifier', 'abc', false],
    ['a verifier with forbidden characters', VERIFIER.slice(0, -1) + '+', false],
    ['a too-long verifier', 'a'.repeat(129), false],
  ])('verifyPkce with %s', (_name, verifier, ok) => {
    expect(verifyPkce(CHALLENGE, verifier)).toBe(ok);
  });

  it.each([
    [CHALLENGE, 'S256', true, undefined],
    [undefined, undefined, false, undefined],
    [undefined, undefined, true, /required/],
    [CHALLENGE, undefined, true, /S256/],
    [CHALLENGE, 'plain', true, /Only the S256/],
    [CHALLENGE, 's256', true, /Only the S256/],
    ['short', 'S256', true, /43 base64url/],
    [CHALLENGE + '=', 'S256', true, /43 base64url/],
    [undefined, 'S256', false, /without code_challenge/],
  ])('challengeProblem(%j, %j, required=%j)', (challenge, method, required, expected) => {
    const problem = challengeProblem(challenge, method, required);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
