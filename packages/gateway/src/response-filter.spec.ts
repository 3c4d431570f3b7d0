import { randomBytes } from 'node:crypto';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import {
  compileClaims,
  filterResponse,
  MAX_JSON_DEPTH,
  type ClaimRules,
  type FilterResult,
} from './response-filter';

const RULES = compileClaims({
  total_price: 'pricing',
  'items[].unit_price': 'pricing',
  'customer.iban': 'banking',
  'orders[].items[].unit_price': 'pricing',
});

const ORDER =
  '{"id":7,"total_price":12.5,"items":[{"sku":"a","unit_price":5},{"sku":"b","unit_price":7.5}],"customer":{"name":"Ann","iban":"DE89"}}';
const ORDER_NOTHING_GRANTED = '{"id":7,"items":[{"sku":"a"},{"sku":"b"}],"customer":{"name":"Ann"}}';
const ORDER_PRICING_GRANTED =
  '{"id":7,"total_price":12.5,"items":[{"sku":"a","unit_price":5},{"sku":"b","unit_price":7.5}],"customer":{"name":"Ann"}}';

interface RunOptions {
  contentType?: string;
  contentEncoding?: string;
  status?: number;
  granted?: string[];
  maxBodyBytes?: number;
  rules?: ClaimRules;
}

function run(body: Buffer | string, o: RunOptions = {}): FilterResult {
  return filterResponse(
    {
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      contentType: o.contentType,
      contentEncoding: o.contentEncoding,
      status: o.status ?? 200,
    },
    o.rules ?? RULES,
    new Set(o.granted ?? []),
    { maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024 },
  );
}

function filtered(result: FilterResult): string {
  if (result.kind !== 'filtered') throw new Error(`expected filtered, got ${JSON.stringify(result)}`);
  return result.body.toString('utf8');
}

function refusedReason(result: FilterResult): string {
  if (result.kind !== 'refused') throw new Error(`expected refused, got ${result.kind}`);
  return result.reason;
}

function utf16be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

describe('compileClaims', () => {
  it.each([
    ['', 'empty'],
    ['a..b', 'empty'],
    ['a.', 'empty'],
    ['a[', 'bracket'],
    ['a[x].b', 'bracket'],
    ['a]b', 'bracket'],
    ['[]', 'empty'],
  ])('rejects the path %j', (path, word) => {
    expect(() => compileClaims({ [path]: 'pricing' })).toThrow(word);
  });

  it('rejects an empty category', () => {
    expect(() => compileClaims({ total_price: '' })).toThrow('category');
  });

  it('lists the categories it names', () => {
    expect([...RULES.categories].sort()).toEqual(['banking', 'pricing']);
  });

  it('accepts a leading [] for a root array and repeated [] for arrays of arrays', () => {
    const rules = compileClaims({ '[].total_price': 'pricing', 'grid[][].cell': 'x' });
    expect(filtered(run('[{"total_price":1,"grid":[[{"cell":1,"k":2}]]}]', { rules }))).toBe(
      '[{"grid":[[{"k":2}]]}]',
    );
  });
});

describe('filterResponse: fields, arrays and categories', () => {
  it.each<[string, string, string[], string]>([
    ['object, nothing granted', ORDER, [], ORDER_NOTHING_GRANTED],
    ['object, pricing granted', ORDER, ['pricing'], ORDER_PRICING_GRANTED],
    ['object, everything granted', ORDER, ['pricing', 'banking'], ORDER],
    [
      'array at the root (arrays are transparent)',
      `[${ORDER},${ORDER}]`,
      [],
      `[${ORDER_NOTHING_GRANTED},${ORDER_NOTHING_GRANTED}]`,
    ],
    [
      'nested arrays orders[].items[].unit_price',
      '{"orders":[{"items":[{"unit_price":1,"q":2}],"total_price":3}]}',
      [],
      '{"orders":[{"items":[{"q":2}],"total_price":3}]}',
    ],
    ['arrays of arrays', '{"items":[[{"unit_price":1,"q":1}],[]]}', [], '{"items":[[{"q":1}],[]]}'],
    ['a [] path also applies to an object', '{"items":{"unit_price":1,"q":1}}', [], '{"items":{"q":1}}'],
    [
      'a path through a scalar',
      '{"customer":"Ann","items":[1,null,"x"]}',
      [],
      '{"customer":"Ann","items":[1,null,"x"]}',
    ],
    [
      'a path only counts from the root',
      '{"x":{"total_price":1,"iban":2}}',
      [],
      '{"x":{"total_price":1,"iban":2}}',
    ],
    ['an escaped member name is matched by its value', '{"total\\u005fprice":1,"a":2}', [], '{"a":2}'],
    [
      'key order is kept, integer-like names too',
      '{"b":1,"2":2,"a":3,"1":4}',
      [],
      '{"b":1,"2":2,"a":3,"1":4}',
    ],
    ['__proto__ is an ordinary name', '{"__proto__":{"x":1},"total_price":2}', [], '{"__proto__":{"x":1}}'],
    ['empty containers', '{"items":[],"customer":{}}', [], '{"items":[],"customer":{}}'],
    [
      'formatting is kept',
      ' {\n  "a" : [ 1 , 2 ] ,\t"total_price" : 3\r\n}\n',
      [],
      '{\n  "a" : [ 1 , 2 ]\r\n}',
    ],
    [
      'first members cut',
      '{ "total_price" : 1 , "customer":{"iban":2 ,"x":3}, "k": 4 }',
      [],
      '{ "customer":{"x":3}, "k": 4 }',
    ],
    [
      'last members cut',
      '{"k":4 ,"customer":{"x":3, "iban":2}, "total_price":1 }',
      [],
      '{"k":4 ,"customer":{"x":3} }',
    ],
    ['every member cut', '{ "total_price" : 1 , "customer":{ "iban":2 } }', [], '{ "customer":{  } }'],
    [
      'members cut between kept ones',
      '{"a":1,"total_price":2,"b":3,"items":[],"total_price2":4}',
      [],
      '{"a":1,"b":3,"items":[],"total_price2":4}',
    ],
  ])('%s', (_name, input, granted, expected) => {
    expect(filtered(run(input, { contentType: 'application/json', granted }))).toBe(expected);
  });

  it('removes a whole subtree whose own category is not granted, and needs every category on a field', () => {
    const rules = compileClaims({ customer: 'pii', 'customer.iban': 'banking', 'a.b': 'x', 'a[].b': 'y' });
    const body = '{"customer":{"name":"Ann","iban":"DE"},"a":{"b":1,"c":2}}';
    expect(filtered(run(body, { rules }))).toBe('{"a":{"c":2}}');
    expect(filtered(run(body, { rules, granted: ['pii', 'x'] }))).toBe(
      '{"customer":{"name":"Ann"},"a":{"c":2}}',
    );
    expect(filtered(run(body, { rules, granted: ['pii', 'banking', 'x', 'y'] }))).toBe(body);
  });
});

describe('filterResponse: kept values are not altered', () => {
  it.each([
    ['64-bit and longer integers', '12345678901234567890'],
    ['a long decimal', '0.10000000000000000555'],
    ['an exponent beyond double range', '1E+400'],
    ['negative zero', '-0'],
    ['small exponent', '-1.5e-7'],
    ['escapes', '"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0000"'],
    ['line separators', '"\\u2028\\u2029 \u2028"'],
    ['a lone surrogate, escaped', '"\\ud800 and \\udfff"'],
    ['a surrogate pair, escaped and raw', '"\\ud83d\\ude00 😀"'],
    ['non-ASCII text', '"Grüße, 東京"'],
    ['literals', '[true,false,null]'],
  ])('%s', (_name, lexeme) => {
    const body = `{"total_price":1,"kept":${lexeme},"list":[${lexeme}]}`;
    expect(filtered(run(body, { contentType: 'application/json' }))).toBe(
      `{"kept":${lexeme},"list":[${lexeme}]}`,
    );
  });
});

describe('filterResponse: declared types', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON; Charset="UTF-8"',
    'application/json;charset=utf8',
    'application/vnd.api+json',
    'application/problem+json; charset=utf-8',
    'text/json',
    'application/x-json',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/octet-stream',
    'text/html',
    undefined,
    '',
    'nonsense',
  ])('%j', (contentType) => {
    const result = run(ORDER, { contentType });
    expect(filtered(result)).toBe(ORDER_NOTHING_GRANTED);
    expect((result as { contentType: string }).contentType).toBe(contentType || 'application/json');
  });

  it.each(['"x"', '42', 'null', '  true  ', '-0', '"\\ud800"'])(
    'a bare scalar %s declared as JSON is re-emitted',
    (body) => {
      expect(filtered(run(body, { contentType: 'application/json' }))).toBe(body.trim());
    },
  );

  it('a body declared as JSON that does not parse is refused, whatever its first character', () => {
    for (const body of ['<html>oops</html>', 'while(1);', "'x'", 'NaN']) {
      expect(refusedReason(run(body, { contentType: 'application/json' }))).toMatch(/not valid JSON/);
    }
  });

  it.each([
    ['{"total_price":1', 'text/plain'],
    ['{"total_price":1,}', 'application/json'],
    ['[1,2', undefined],
    ['{"total_price":01}', 'application/octet-stream'],
    ['{"a":1}\n{"total_price":2}\n', 'application/x-ndjson'],
    ['{"a":1} trailing', 'text/plain'],
    ["{'total_price':1}", 'text/plain'],
  ])('JSON-looking %j (%s) that does not parse is refused, without echoing the body', (body, contentType) => {
    const reason = refusedReason(run(body, { contentType }));
    expect(reason).toMatch(/not valid JSON/);
    expect(reason).not.toContain('total_price');
  });

  it.each([
    ['an HTML page', '<!doctype html><p>{"total_price":1}</p>', 'text/html'],
    ['plain text', 'hello {"total_price":1}', 'text/plain'],
    ['plain text without a type', 'total_price: 1', undefined],
  ])('%s passes through', (_name, body, contentType) => {
    expect(run(body, { contentType }).kind).toBe('passthrough');
  });

  it('a binary body passes through (gzip-coded too)', () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(4096)]);
    expect(run(pdf, { contentType: 'application/pdf' })).toEqual({ kind: 'passthrough' });
    expect(run(pdf, { contentType: 'application/octet-stream' })).toEqual({ kind: 'passthrough' });
    expect(run(gzipSync(pdf), { contentType: 'application/pdf', contentEncoding: 'gzip' })).toEqual({
      kind: 'passthrough',
    });
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(512),
    ]);
    expect(run(png, { contentType: 'image/png' })).toEqual({ kind: 'passthrough' });
  });

  it('finds JSON after a UTF-8 BOM and much leading whitespace, and drops the BOM', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(filtered(run(Buffer.concat([bom, Buffer.from(ORDER)]), { contentType: 'text/plain' }))).toBe(
      ORDER_NOTHING_GRANTED,
    );
    expect(filtered(run('\n'.repeat(5000) + ORDER, { contentType: 'text/plain' }))).toBe(
      ORDER_NOTHING_GRANTED,
    );
    expect(filtered(run(Buffer.concat([bom, Buffer.from(' [1]')]), {}))).toBe('[1]');
  });

  it('keeps an anti-XSSI prefix and filters the JSON after it', () => {
    expect(filtered(run(")]}'\n" + ORDER, { contentType: 'application/json' }))).toBe(
      ")]}'\n" + ORDER_NOTHING_GRANTED,
    );
    expect(filtered(run(")]}',\n" + ORDER, { contentType: 'text/plain' }))).toBe(
      ")]}',\n" + ORDER_NOTHING_GRANTED,
    );
    expect(filtered(run('while(1);' + ORDER, { contentType: 'text/javascript' }))).toBe(
      'while(1);' + ORDER_NOTHING_GRANTED,
    );
    expect(refusedReason(run(")]}'\n{oops", { contentType: 'text/plain' }))).toMatch(/not valid JSON/);
  });

  it.each(['multipart/mixed; boundary=x', 'text/event-stream', 'application/json-seq'])(
    '%s cannot be filtered and is refused',
    (contentType) => {
      expect(refusedReason(run('--x\r\n\r\n{"total_price":1}', { contentType }))).toMatch(
        /cannot be filtered/,
      );
    },
  );
});

describe('filterResponse: charsets', () => {
  it('transcodes UTF-16 (with a BOM, either order, or detected from its zero bytes) to UTF-8', () => {
    const cases = [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ORDER, 'utf16le')]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(ORDER)]),
      Buffer.from(ORDER, 'utf16le'),
      utf16be(ORDER),
      Buffer.from('  ' + ORDER, 'utf16le'),
    ];
    for (const body of cases) {
      const result = run(body, { contentType: 'application/json; charset=utf-16' });
      expect(filtered(result)).toBe(ORDER_NOTHING_GRANTED);
      expect((result as { contentType: string }).contentType).toBe('application/json; charset=utf-8');
    }
    const text = run(Buffer.from('{"total_price":1,"n":"Grüße 😀"}', 'utf16le'), {
      contentType: 'text/plain',
    });
    expect(filtered(text)).toBe('{"n":"Grüße 😀"}');
    expect((text as { contentType: string }).contentType).toBe('text/plain; charset=utf-8');
  });

  it('refuses UTF-16 JSON with an unpaired surrogate and UTF-32 JSON', () => {
    const lone = Buffer.concat([
      Buffer.from('{"a":"', 'utf16le'),
      Buffer.from([0x00, 0xd8]),
      Buffer.from('"}', 'utf16le'),
    ]);
    expect(refusedReason(run(lone, { contentType: 'application/json' }))).toMatch(/UTF-16/);
    const utf32 = Buffer.alloc(4 * ORDER.length);
    for (let i = 0; i < ORDER.length; i++) utf32.writeUInt32LE(ORDER.charCodeAt(i), 4 * i);
    expect(refusedReason(run(utf32, {}))).toMatch(/UTF-32/);
    expect(refusedReason(run(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32]), {}))).toMatch(/UTF-32/);
  });

  it('accepts another declared charset only for pure ASCII, and refuses a charset the body contradicts', () => {
    expect(filtered(run(ORDER, { contentType: 'application/json; charset=ISO-8859-1' }))).toBe(
      ORDER_NOTHING_GRANTED,
    );
    const latin1 = Buffer.from('{"total_price":1,"n":"Grüße"}', 'latin1');
    expect(refusedReason(run(latin1, { contentType: 'application/json; charset=iso-8859-1' }))).toMatch(
      /charset "iso-8859-1"/,
    );
    expect(refusedReason(run(ORDER, { contentType: 'application/json; charset=utf-16' }))).toMatch(/utf-16/);
  });

  it('refuses JSON that is not valid UTF-8', () => {
    const bad = Buffer.concat([
      Buffer.from('{"total_price":1,"n":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(refusedReason(run(bad, { contentType: 'application/json' }))).toMatch(/UTF-8/);
    expect(refusedReason(run(bad, { contentType: 'text/plain' }))).toMatch(/UTF-8/);
  });
});

describe('filterResponse: content codings', () => {
  const body = Buffer.from(ORDER);
  it.each<[string, Buffer, string]>([
    ['gzip', gzipSync(body), 'gzip'],
    ['x-gzip', gzipSync(body), 'x-gzip'],
    ['upper case', gzipSync(body), 'GZIP'],
    ['deflate (zlib-wrapped)', deflateSync(body), 'deflate'],
    ['deflate (raw)', deflateRawSync(body), 'deflate'],
    ['br', brotliCompressSync(body), 'br'],
    ['identity', body, 'identity'],
    ['empty list', body, ''],
    ['gzip then br', brotliCompressSync(gzipSync(body)), 'gzip, br'],
    ['deflate, identity, gzip', gzipSync(deflateSync(body)), 'deflate,identity , gzip'],
    [
      'concatenated gzip members',
      Buffer.concat([gzipSync(body.subarray(0, 10)), gzipSync(body.subarray(10))]),
      'gzip',
    ],
  ])('%s', (_name, coded, contentEncoding) => {
    expect(filtered(run(coded, { contentType: 'application/json', contentEncoding }))).toBe(
      ORDER_NOTHING_GRANTED,
    );
  });

  it.each([
    ['zstd', 'unsupported content-coding "zstd"'],
    ['compress', 'unsupported content-coding "compress"'],
    ['gzip, x-custom', 'unsupported content-coding "x-custom"'],
    ['"gzip"<script>', 'unsupported content-coding'],
  ])('refuses the unknown coding %j', (contentEncoding, reason) => {
    const r = refusedReason(run(gzipSync(body), { contentType: 'application/json', contentEncoding }));
    expect(r).toContain(reason);
    expect(r).not.toContain('<script>');
  });

  it.each([
    ['gzip', Buffer.from(ORDER)],
    ['gzip', gzipSync(body).subarray(0, 20)],
    ['br', Buffer.from('not brotli at all')],
    ['deflate', Buffer.from('{"total_price":1}')],
    ['deflate', deflateSync(body).subarray(0, 40)],
  ])('refuses a body that does not decode as %s', (contentEncoding, coded) => {
    expect(refusedReason(run(coded, { contentEncoding }))).toMatch(/could not decode/);
  });

  it('refuses a decompression bomb without inflating it (gzip, br, deflate, nested)', () => {
    const zeros = Buffer.alloc(10 * 1024 * 1024);
    const bombs: [Buffer, string][] = [
      [gzipSync(zeros), 'gzip'],
      [brotliCompressSync(zeros), 'br'],
      [deflateSync(zeros), 'deflate'],
      [deflateRawSync(zeros), 'deflate'],
      [gzipSync(gzipSync(zeros)), 'gzip, gzip'],
    ];
    for (const [coded, contentEncoding] of bombs) {
      expect(coded.length).toBeLessThan(1024 * 1024);
      expect(refusedReason(run(coded, { contentEncoding, maxBodyBytes: 1024 * 1024 }))).toBe(
        'decompressed body exceeds 1048576 bytes',
      );
    }
  });

  it('refuses a body over the limit before decoding it, and accepts one at the limit', () => {
    expect(refusedReason(run('[' + '1,'.repeat(600) + '1]', { maxBodyBytes: 1000 }))).toBe(
      'response body exceeds 1000 bytes',
    );
    expect(run(' '.repeat(990) + '[1]', { maxBodyBytes: 993 }).kind).toBe('filtered');
    const exactly = Buffer.from(' '.repeat(997) + '[1]');
    expect(run(gzipSync(exactly), { contentEncoding: 'gzip', maxBodyBytes: 1000 }).kind).toBe('filtered');
  });
});

describe('filterResponse: statuses, duplicates, depth', () => {
  it('filters JSON bodies of any status, passes 204/304 and empty bodies, refuses 206', () => {
    for (const status of [200, 201, 203, 400, 404, 409, 500, 503]) {
      expect(filtered(run(ORDER, { status }))).toBe(ORDER_NOTHING_GRANTED);
    }
    expect(run(ORDER, { status: 204 })).toEqual({ kind: 'passthrough' });
    expect(run(ORDER, { status: 304 })).toEqual({ kind: 'passthrough' });
    expect(run('', { contentType: 'application/json' })).toEqual({ kind: 'passthrough' });
    expect(run(' \n', { contentType: 'application/json', contentEncoding: 'identity' })).toEqual({
      kind: 'passthrough',
    });
    expect(refusedReason(run(ORDER, { status: 206, contentType: 'application/json' }))).toMatch(/206/);
    expect(refusedReason(run(randomBytes(64), { status: 206, contentType: 'application/pdf' }))).toMatch(
      /206/,
    );
  });

  it.each([
    '{"a":1,"a":2}',
    '{"a":1,"a":1}',
    '{"x":{"total_price":1,"total_price":2}}',
    '[{"total_price":1,"total_price":1}]',
    '{"a":1,"\\u0061":1}',
  ])('refuses duplicate member names %s', (body) => {
    expect(refusedReason(run(body))).toMatch(/duplicate member name/);
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(filtered(run(nest(MAX_JSON_DEPTH)))).toBe(nest(MAX_JSON_DEPTH));
    expect(refusedReason(run(nest(MAX_JSON_DEPTH + 1)))).toMatch(/deeper than 256/);
    expect(refusedReason(run('{"a":'.repeat(200_000)))).toMatch(/deeper than 256/);
    expect(refusedReason(run('['.repeat(500_000), { maxBodyBytes: 1e6 }))).toMatch(/deeper than 256/);
    // brackets inside strings do not count
    expect(filtered(run(`{"a":"${'['.repeat(1000)}"}`))).toBe(`{"a":"${'['.repeat(1000)}"}`);
  });
});

// Property tests: the filter against a model written over the lossless-json tree.

const NAMES = ['total_price', 'items', 'unit_price', 'customer', 'iban', 'a', '1', '__proto__'];
const key = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 4 }));
const numberLexeme = fc.oneof(
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc
    .tuple(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.nat({ max: 30 }))
    .map(([m, f]) => `${m}.${'0'.repeat(f)}1`),
  fc.constantFrom('-0', '1E+400', '0.10000000000000000555', '5e-324', '-1.5e-7'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
);
const { value: jsonTree } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false),
    fc.string({ unit: 'binary' }),
    numberLexeme.map((n) => new LosslessNumber(n)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: ([k]) => k }).map(entriesToObject),
  ),
}));

function entriesToObject(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const pathArb = fc
  .array(fc.tuple(fc.constantFrom(...NAMES.filter((n) => n !== '__proto__')), fc.boolean()), {
    minLength: 1,
    maxLength: 3,
  })
  .map((steps) => steps.map(([n, arr]) => (arr ? `${n}[]` : n)).join('.'));
const claimsArb = fc.dictionary(pathArb, fc.constantFrom('pricing', 'banking', 'pii'), { maxKeys: 6 });

/** The model: remove members along the paths (arrays transparent) on the parsed tree. */
function model(value: unknown, claims: Record<string, string>, granted: ReadonlySet<string>): unknown {
  const paths = Object.entries(claims)
    .filter(([, c]) => !granted.has(c))
    .map(([p]) => p.split('.').map((s) => s.replace(/(\[\])+$/, '')));
  const drop = (v: unknown, prefixes: string[][]): unknown => {
    if (Array.isArray(v)) return v.map((e) => drop(e, prefixes));
    if (v === null || typeof v !== 'object' || v instanceof LosslessNumber) return v;
    const out: [string, unknown][] = [];
    for (const [k, child] of Object.entries(v)) {
      const here = prefixes.filter((p) => p[0] === k);
      if (here.some((p) => p.length === 1)) continue;
      out.push([
        k,
        drop(
          child,
          here.map((p) => p.slice(1)),
        ),
      ]);
    }
    return entriesToObject(out);
  };
  return drop(value, paths);
}

describe('filterResponse: properties', () => {
  it('with every category granted, the output is the input, byte for byte (fc.jsonValue, pretty or not)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), claimsArb, fc.constantFrom(0, 2, '\t'), (value, claims, space) => {
        const rules = compileClaims(claims);
        const input = JSON.stringify(value, null, space);
        const out = filtered(
          run(input, { rules, granted: [...rules.categories], contentType: 'application/json' }),
        );
        expect(out).toBe(input);
        const none = filtered(run(input, { rules, contentType: 'application/json' }));
        expect(JSON.parse(none)).toEqual(JSON.parse(JSON.stringify(model(value, claims, new Set()))));
      }),
      { numRuns: 300 },
    );
  });

  it('with every category granted, lossless numbers and strings come back equal; with none, the model holds', () => {
    fc.assert(
      fc.property(
        jsonTree,
        claimsArb,
        fc.subarray(['pricing', 'banking', 'pii']),
        (value, claims, someGranted) => {
          const rules = compileClaims(claims);
          const input = stringifyLossless(value) as string;
          const sniffed = /^[[{]/.test(input) ? 'text/plain' : 'application/json';
          const all = filtered(run(input, { rules, granted: [...rules.categories], contentType: sniffed }));
          expect(all).toBe(input);
          expect(parseLossless(all)).toEqual(parseLossless(input));

          for (const granted of [new Set<string>(), new Set(someGranted)]) {
            const out = filtered(
              run(input, { rules, granted: [...granted], contentType: 'application/json' }),
            );
            expect(parseLossless(out)).toEqual(model(parseLossless(input), claims, granted));
          }
          const none = parseLossless(
            filtered(run(input, { rules, contentType: 'application/json' })),
          ) as unknown;
          for (const path of Object.keys(claims)) expect(reachable(none, path)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Whether any value sits at `path` (arrays transparent). */
function reachable(value: unknown, path: string): boolean {
  const steps = path.split('.').map((s) => s.replace(/(\[\])+$/, ''));
  const at = (v: unknown, i: number): boolean => {
    if (Array.isArray(v)) return v.some((e) => at(e, i));
    if (v === null || typeof v !== 'object' || v instanceof LosslessNumber) return false;
    if (!Object.prototype.hasOwnProperty.call(v, steps[i])) return false;
    return i === steps.length - 1 || at((v as Record<string, unknown>)[steps[i]], i + 1);
  };
  return at(value, 0);
}
