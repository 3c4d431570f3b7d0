import { describe, expect, it } from 'vitest';
import { InvalidTargetError } from './errors';
import { parseResources, resourceIndicatorProblem } from './resource-indicator';
import { requestParams } from './token-params';

describe('RFC 8707 resource indicators', () => {
  it('accepts absolute URIs without fragment or query', () => {
    for (const ok of ['https://orders.example', 'https://api.example/v1/orders', 'urn:example:orders'])
      expect(resourceIndicatorProblem(ok), ok).toBeUndefined();
  });

  it('refuses relative, fragment, query, non-ASCII, whitespace and overlong values', () => {
    for (const bad of [
      'orders',
      '/orders',
      'https://orders.example#x',
      'https://orders.example?x=1',
      'https://ordérs.example',
      'https://orders.example/a b',
      `https://x.example/${'a'.repeat(2048)}`,
      '',
    ])
      expect(resourceIndicatorProblem(bad), bad).toBeTypeOf('string');
  });

  it('parses repeated values without duplicates, as invalid_target when bad or too many', () => {
    expect(parseResources(['https://a.example', 'https://b.example', 'https://a.example'])).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
    expect(() => parseResources(['nope'])).toThrow(InvalidTargetError);
    expect(() => parseResources(Array.from({ length: 11 }, (_, i) => `https://r${i}.example`))).toThrow(
      InvalidTargetError,
    );
  });

  it('lets only the named parameters repeat in a token request (RFC 6749 §3.2)', () => {
    const { single, repeated } = requestParams(
      { grant_type: 'client_credentials', resource: ['https://a.example', 'https://b.example'] },
      ['resource'],
    );
    expect(single).toEqual({ grant_type: 'client_credentials' });
    expect(repeated.resource).toEqual(['https://a.example', 'https://b.example']);
    expect(requestParams({ resource: 'https://a.example' }, ['resource']).repeated.resource).toEqual([
      'https://a.example',
    ]);
    expect(() => requestParams({ scope: ['a', 'b'] }, ['resource'])).toThrow('more than once');
    expect(() => requestParams({ scope: ['a'] }, ['resource'])).toThrow('more than once');
    expect(() => requestParams({ resource: [1] }, ['resource'])).toThrow('must be a string');
  });
});
