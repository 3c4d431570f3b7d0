import { describe, expect, it } from 'vitest';
import { s256 } from '../../protocol/pkce';
import { DEMO_CODE_VERIFIER, demoAuthorizationUrl } from './demo-delegation';

describe('demo authorization URL', () => {
  it('carries the S256 challenge of the documented demo verifier', () => {
    const url = new URL(demoAuthorizationUrl('http://localhost:3000'));
    expect(url.searchParams.get('code_challenge')).toBe(s256(DEMO_CODE_VERIFIER));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });
});
