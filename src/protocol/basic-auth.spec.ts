import { describe, expect, it } from 'vitest';
import { isMalformed, parseBasic, type BasicParseResult } from './basic-auth';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const basic = (s: string) => `Basic ${b64(s)}`;

describe('parseBasic (RFC 6749 §2.3.1 form-urlencoded, RFC 7617 raw)', () => {
  it.each<[string, string | undefined, BasicParseResult | undefined, BasicParseResult | undefined]>([
    // name, header, form-urlencoded result, raw result
    ['no header', undefined, undefined, undefined],
    ['empty header', '', undefined, undefined],
    ['another scheme', 'Bearer abc', undefined, undefined],
    ['a scheme that only starts with Basic', 'Basically abc', undefined, undefined],
    [
      'plain id and secret',
      basic('sam:secret'),
      { id: 'sam', secret: 'secret' },
      { id: 'sam', secret: 'secret' },
    ],
    ['scheme in any case', `bAsIc ${b64('a:b')}`, { id: 'a', secret: 'b' }, { id: 'a', secret: 'b' }],
    [
      'spaces around the credentials',
      `Basic   ${b64('a:b')}  `,
      { id: 'a', secret: 'b' },
      { id: 'a', secret: 'b' },
    ],
    ['the first colon splits', basic('id:a:b'), { id: 'id', secret: 'a:b' }, { id: 'id', secret: 'a:b' }],
    ['an empty secret', basic('id:'), { id: 'id', secret: '' }, { id: 'id', secret: '' }],
    [
      'percent-escapes and plus',
      basic('a%20b:c+d%2B'),
      { id: 'a b', secret: 'c d+' },
      { id: 'a%20b', secret: 'c+d%2B' },
    ],
    [
      'UTF-8 characters',
      basic('jürgen:pässwörd'),
      { id: 'jürgen', secret: 'pässwörd' },
      { id: 'jürgen', secret: 'pässwörd' },
    ],
    [
      'a bad percent-escape',
      basic('id:100%'),
      { malformed: 'bad percent-encoding' },
      { id: 'id', secret: '100%' },
    ],
    [
      'not base64',
      'Basic !!!',
      { malformed: 'basic header not base64' },
      { malformed: 'basic header not base64' },
    ],
    [
      'Basic without credentials',
      'Basic',
      { malformed: 'basic header not base64' },
      { malformed: 'basic header not base64' },
    ],
    ['no colon', basic('just-an-id'), { malformed: 'no colon' }, { malformed: 'no colon' }],
    ['a NUL in the id', basic('a\u0000b:c'), { malformed: 'NUL character' }, { malformed: 'NUL character' }],
    [
      'a NUL in the secret',
      basic('a:b\u0000'),
      { malformed: 'NUL character' },
      { malformed: 'NUL character' },
    ],
    ['an escaped NUL', basic('a%00:b'), { malformed: 'NUL character' }, { id: 'a%00', secret: 'b' }],
  ])('%s', (_name, header, form, raw) => {
    expect(parseBasic(header, 'form-urlencoded')).toEqual(form);
    expect(parseBasic(header, 'raw')).toEqual(raw);
  });

  it('isMalformed tells a refused header from absent and readable ones', () => {
    expect(isMalformed(undefined)).toBe(false);
    expect(isMalformed({ id: 'a', secret: 'b' })).toBe(false);
    expect(isMalformed({ malformed: 'no colon' })).toBe(true);
  });
});
