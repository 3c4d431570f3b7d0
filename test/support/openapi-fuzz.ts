import fc from 'fast-check';
import { request as httpRequest } from 'node:http';

/**
 * Request generators for the OpenAPI fuzz test (test/e2e/openapi-fuzz.e2e-spec.ts): values that follow
 * an operation's documented schema, mixed at every level with hostile ones, serialised by hand so that
 * the wire can carry what a well-behaved client never sends (duplicate JSON members, `__proto__` keys,
 * invalid percent-encoding, lone surrogates, numbers JSON.stringify cannot produce).
 */

/** The subset of OpenAPI 3 the generators read. */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  method: string;
  /** The OpenAPI path template, e.g. /admin/clients/{clientId}. */
  path: string;
  op: OperationObject;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

/** One generated request; `toString` keeps fast-check's counterexample readable (no 300 kB strings). */
export class FuzzRequest {
  constructor(
    readonly method: string,
    /** Raw request target: path and query, already encoded (possibly invalidly). */
    readonly target: string,
    readonly headers: Record<string, string | string[]>,
    readonly body: Buffer | undefined,
    /** The garbage credentials of the third auth variant. */
    readonly garbageAuth: string,
  ) {}

  [fc.toStringMethod](): string {
    const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);
    return (
      `${this.method} ${cut(this.target)} headers=${cut(JSON.stringify(this.headers))}` +
      ` body=${this.body === undefined ? '(none)' : cut(JSON.stringify(this.body.toString('latin1')))}` +
      ` garbageAuth=${cut(JSON.stringify(this.garbageAuth))}`
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hostile scalars

const LONG = [5_000, 70_000, 300_000];

/** Strings that have broken servers before: encodings, ids, dates, numbers in disguise, injection. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\t\r\n',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  '\udc00\ud800',
  '\ud83d\ude00',
  '\ufeff',
  '\u202e',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e309',
  '-1',
  '0x10',
  '9007199254740993',
  '123456789012345678901234567890',
  'true',
  '[]',
  '{}',
  "' OR 1=1 --",
  '"; DROP TABLE clients; --',
  '$where',
  '${7*7}',
  '../../etc/passwd',
  '%00',
  '%zz',
  '%',
  '%ED%A0%80',
  'a'.repeat(36),
  '-'.repeat(36),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '0123456789abcdef0123-4567-89ab-cdef0',
  'g0000000-0000-4000-8000-000000000000',
  '2026-W05-1',
  '2026-123',
  '+002026-01-01',
  '-000001-01-01',
  '2026-02-30',
  '2026-13-01',
  '2026-01-01T25:00:00Z',
  '2026-01-01T00:00:60Z',
  '9999-12-31T23:59:59.999999999999Z',
  '0000-00-00',
  '275760-09-13T00:00:00.001Z',
  '1970-01-01',
  'http://127.0.0.1:1/cb',
  'javascript:alert(1)',
  'https://user:pass@[::1]:99999/x#frag',
  'openid profile admin customers:read customers:banking',
  'admin',
  'a b  c',
  '<script>alert(1)</script>',
];

const stringFromSchema = (schema: Schema): fc.Arbitrary<string> => {
  const examples = [
    schema.example,
    schema.default,
    ...(Array.isArray(schema.example) ? schema.example : []),
  ].filter((e): e is string => typeof e === 'string');
  return fc.oneof(
    ...(examples.length ? [{ arbitrary: fc.constantFrom(...examples), weight: 4 }] : []),
    { arbitrary: fc.string({ maxLength: 24 }), weight: 2 },
    { arbitrary: fc.stringMatching(/^[a-z][a-z0-9:._-]{2,20}$/), weight: 2 },
  );
};

const shortHostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 24 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }), weight: 1 },
);

/** Long strings: beyond column sizes, the 256 kB body limit, Node's 16 KiB header limit. */
const longString = fc.oneof(
  fc.constantFrom(...LONG).map((n) => 'x'.repeat(n)),
  fc.constantFrom(...LONG).map((n) => '\u00e9\ud800'.repeat(n / 2)),
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: shortHostileString, weight: 9 },
  { arbitrary: longString, weight: 1 },
);

/** For the request line: long values only now and then (most would only meet the 16 KiB limit). */
const urlHostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: shortHostileString, weight: 30 },
  { arbitrary: fc.constant('x'.repeat(4_000)), weight: 2 },
  { arbitrary: longString, weight: 1 },
);

/** Number tokens, including ones JSON.stringify never writes (overflow, underflow, -0, 2^53+1). */
const hostileNumberText = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '-1',
    '1.5',
    '1e309',
    '-1e309',
    '1e-400',
    '9007199254740993',
    '123456789012345678901234567890',
    '2147483648',
    '-2147483649',
    '1E2',
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
);

const jsonString = (s: string) => JSON.stringify(s);

const nested = (depth: number, leaf: string, kind: '{' | '[') =>
  kind === '{'
    ? '{"a":'.repeat(depth) + leaf + '}'.repeat(depth)
    : '['.repeat(depth) + leaf + ']'.repeat(depth);

/** A JSON text of any shape that a schema would not expect. */
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant('null'), weight: 4 },
  { arbitrary: hostileString.map(jsonString), weight: 6 },
  { arbitrary: hostileNumberText, weight: 3 },
  { arbitrary: fc.constantFrom('true', 'false', '[]', '{}', '[null]', '[[]]', '[{}]'), weight: 2 },
  {
    arbitrary: fc.array(hostileString.map(jsonString), { minLength: 1, maxLength: 3 }).map((a) => `[${a}]`),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom(
      '{"__proto__":{"admin":true,"isAdmin":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"toString":1,"valueOf":"x","hasOwnProperty":null}',
    ),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(3, 31, 32, 33, 200, 5_000), fc.constantFrom<'{' | '['>('{', '['))
      .map(([d, k]) => nested(d, '1', k)),
    weight: 2,
  },
);

// ---------------------------------------------------------------------------------------------------------
// Schema-driven JSON

/**
 * Arbitraries for the values an operation's schema describes. `hostile`: mixed at every level with
 * hostile values, extra and repeated members, damaged encodings; otherwise well-formed values only,
 * so that requests also get past validation into the services.
 */
export class SchemaArbitraries {
  constructor(
    private readonly doc: OpenApiDocument,
    readonly hostile: boolean,
  ) {}

  resolve(schema: Schema | undefined): Schema {
    let s = schema ?? {};
    for (let i = 0; s.$ref && i < 10; i++) {
      s = this.doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')] ?? {};
    }
    if (s.allOf?.length) return this.resolve(s.allOf[0]);
    if (s.oneOf?.length) return this.resolve(s.oneOf[0]);
    if (s.anyOf?.length) return this.resolve(s.anyOf[0]);
    return s;
  }

  /** A scalar as text for a query, path or form value. */
  scalar(schema: Schema | undefined, inUrl = false): fc.Arbitrary<string> {
    const s = this.resolve(schema);
    const valid: fc.Arbitrary<string> = s.enum?.length
      ? fc.constantFrom(...s.enum.map(String))
      : s.type === 'number' || s.type === 'integer'
        ? fc.oneof(
            fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 }).map(String),
            hostileNumberText,
          )
        : s.type === 'boolean'
          ? fc.constantFrom('true', 'false', '1', '0', 'yes')
          : stringFromSchema(s);
    if (!this.hostile) return valid;
    return fc.oneof(
      { arbitrary: valid, weight: 3 },
      { arbitrary: inUrl ? urlHostileString : hostileString, weight: 2 },
    );
  }

  /** A JSON text for `schema`, mixed at every level with hostile values and structures. */
  json(schema: Schema | undefined, depth = 0): fc.Arbitrary<string> {
    const s = this.resolve(schema);
    let valid: fc.Arbitrary<string>;
    if (s.enum?.length) valid = fc.constantFrom(...s.enum.map((e) => JSON.stringify(e)));
    else if (s.type === 'string') valid = stringFromSchema(s).map(jsonString);
    else if (s.type === 'number' || s.type === 'integer')
      valid = fc.oneof(
        fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 }).map(String),
        hostileNumberText,
      );
    else if (s.type === 'boolean') valid = fc.constantFrom('true', 'false');
    else if (s.type === 'array' && depth < 4)
      valid = fc.array(this.json(s.items, depth + 1), { maxLength: 4 }).map((a) => `[${a.join(',')}]`);
    else if (s.properties && depth < 4) valid = this.object(s, depth);
    else valid = this.hostile ? hostileJson : stringFromSchema(s).map(jsonString);
    if (!this.hostile) return valid;
    return fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: hostileJson, weight: 1 });
  }

  /** The members of an object: required ones mostly present, optional ones sometimes, extras rarely. */
  members(
    s: Schema,
    value: (p: Schema | undefined) => fc.Arbitrary<string>,
  ): fc.Arbitrary<[string, string][]> {
    const props = Object.entries(s.properties ?? {});
    const required = new Set(s.required ?? []);
    const member = ([name, p]: [string, Schema]): fc.Arbitrary<[string, string] | undefined> => {
      const present = value(p).map((v): [string, string] => [name, v]);
      if (!this.hostile) return required.has(name) ? present : sometimes(present, 1, 2);
      return fc.option(present, { freq: required.has(name) ? 12 : 2, nil: undefined });
    };
    if (!this.hostile) {
      return fc
        .tuple(...props.map(member))
        .map((present) => present.filter((e): e is [string, string] => e !== undefined));
    }
    const extra = fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'status', 'client_secret'),
          hostileString,
        ),
        value(undefined),
      ),
      { maxLength: 2 },
    );
    return fc
      .tuple(
        fc.tuple(...props.map(member)),
        fc.oneof({ arbitrary: fc.constant([]), weight: 4 }, { arbitrary: extra, weight: 1 }),
        fc.nat(9),
      )
      .map(([present, extras, dup]) => {
        const entries = [...present.filter((e): e is [string, string] => e !== undefined), ...extras];
        // A repeated member (RFC 8259 §4 "SHOULD be unique"; RFC 6749 §3.1 refuses repeated parameters).
        if (dup === 0 && entries.length) entries.push(entries[0]);
        return entries;
      });
  }

  object(s: Schema, depth = 0): fc.Arbitrary<string> {
    return this.members(s, (p) => this.json(p, depth + 1)).map(
      (entries) => `{${entries.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}}`,
    );
  }

  /** A JSON request body: the schema's object, sometimes damaged as a whole. */
  jsonBody(schema: Schema | undefined): fc.Arbitrary<string> {
    const s = this.resolve(schema);
    const base = s.properties ? this.object(s) : this.json(s);
    if (!this.hostile) return base;
    return fc.oneof(
      { arbitrary: base, weight: 8 },
      { arbitrary: hostileJson, weight: 2 },
      {
        arbitrary: fc
          .tuple(base, fc.constantFrom('truncate', 'trailing', 'bom', 'nan', 'comment'))
          .map(([t, how]) => {
            if (how === 'truncate') return t.slice(0, Math.max(1, Math.floor(t.length / 2)));
            if (how === 'trailing') return `${t},`;
            if (how === 'bom') return `\ufeff${t}`;
            if (how === 'nan') return t.replace(/:[^,{}[\]]*/, ':NaN');
            return `/*x*/${t}`;
          }),
        weight: 2,
      },
    );
  }

  /** A form body: the schema's members as name=value pairs, encoded well or badly. */
  formBody(schema: Schema | undefined): fc.Arbitrary<string> {
    const s = this.resolve(schema);
    return fc
      .tuple(
        this.members(s.properties ? s : { properties: {} }, (p) => this.scalar(p)),
        this.hostile
          ? fc.array(fc.tuple(formKey, this.scalar(undefined)), { maxLength: 2 })
          : fc.constant([]),
        this.hostile ? encoder : fc.constant(percentEncode),
      )
      .map(([members, extras, enc]) =>
        [...members, ...extras].map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'),
      );
  }
}

/** `arbitrary` with weight `present`, else undefined with weight `absent`. */
export function sometimes<T>(
  arbitrary: fc.Arbitrary<T>,
  present: number,
  absent: number,
): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary, weight: present }, { arbitrary: fc.constant(undefined), weight: absent });
}

const formKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor[prototype][x]', 'a[b]', 'a[]', 'client_id', 'scope', 'token', ''),
  hostileString,
);

// ---------------------------------------------------------------------------------------------------------
// Encoding for the request line and bodies

/** Percent-encodes UTF-8 bytes (a lone surrogate becomes U+FFFD, as any UTF-8 encoder does). */
export function percentEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Byte sequences a percent-decoder must refuse, or that decode to something unexpected. */
const BAD_ESCAPES = [
  '%',
  '%z',
  '%zz',
  '%G0',
  '%E0%A4',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%00',
  '%2F',
  '%25',
  '%%',
  '+',
  '..',
  '.',
];

const encoder: fc.Arbitrary<(s: string) => string> = fc.oneof(
  { arbitrary: fc.constant(percentEncode), weight: 4 },
  {
    arbitrary: fc.tuple(fc.constantFrom(...BAD_ESCAPES), fc.boolean()).map(
      ([bad, before]) =>
        (s: string) =>
          before ? bad + percentEncode(s) : percentEncode(s) + bad,
    ),
    weight: 2,
  },
  // Latin-1 bytes sent as they are (printable ASCII left alone, the rest raw, never a valid URL).
  {
    arbitrary: fc.constant((s: string) =>
      Buffer.from(s, 'latin1')
        .toString('latin1')
        .replace(/[^\x21-\xff]/g, '%20'),
    ),
    weight: 1,
  },
);

export { encoder as valueEncoder };

/** Header values Node can put on the wire (RFC 9110 §5.5 field-vchar, obs-text included). */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', 'x', 'a'.repeat(8_000), '\u00ff\u00fe', 'null', '__proto__', 'Basic Og==', ', ,'),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  fc.stringMatching(/^[A-Za-z0-9_-]{20,60}$/),
);

export const garbageAuthorization: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Bearer x',
    'Bearer  two  spaces',
    'bearer lowercase',
    'Bearer a.b.c',
    'Bearer ....',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwic2NvcGUiOiJhZG1pbiJ9.',
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6ImFkbWluIn0.c2lnbmF0dXJl',
    'Bearer eyJ' + 'A'.repeat(7_000),
    'Basic',
    'Basic Og==',
    'Basic %%%',
    'Basic ' + Buffer.from('demo-admin:').toString('base64'),
    'Basic ' + Buffer.from('%zz:%').toString('base64'),
    'Basic ' + Buffer.from('\u00ff\u0000:x', 'latin1').toString('base64'),
    'Digest username="x"',
    'Bearer x, Bearer y',
  ),
  headerValue.map((v) => `Bearer ${v}`),
);

/** Content types a client may send by mistake or malice. */
export const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=zz',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/octet-stream',
  'application/json, text/plain',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/*',
  'application/json;',
  ';',
  '',
];

// ---------------------------------------------------------------------------------------------------------
// HTTP

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Sends exactly the bytes given (no URL normalisation, unlike fetch), on a connection of its own: the
 * server may close a connection after an error, and a reused one would blur which request was refused.
 */
export function send(
  base: string,
  method: string,
  target: string,
  headers: Record<string, string | string[]>,
  body: Buffer | undefined,
): Promise<FuzzResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        // Node frames a GET or DELETE body with neither Content-Length nor chunking unless told.
        headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${method} ${target.slice(0, 200)}`)));
    req.on('error', reject);
    req.end(body);
  });
}
