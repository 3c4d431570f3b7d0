import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';

/**
 * Claims filtering of upstream response bodies: every JSON member whose configured category the token does
 * not grant is removed, in whatever content coding, charset or declared type the JSON arrives. What cannot
 * be read with certainty is refused (the gateway answers 502), never forwarded unfiltered.
 *
 * The output is the input's own text with the denied members cut out: numbers and strings keep their exact
 * lexemes (64-bit integers, long decimals, `-0`, escapes, escaped lone surrogates), members their order,
 * the rest its formatting. No value is ever re-serialised, so nothing can be rounded or re-escaped.
 */

/** Deeper nesting is refused (it would only serve to exhaust the stack). */
export const MAX_JSON_DEPTH = 256;

export interface ClaimRuleNode {
  /** Categories of the field at this path; it is kept only if every one is granted. */
  readonly categories: string[];
  readonly children: Map<string, ClaimRuleNode>;
}

/** A route's `claims` map, parsed once (see compileClaims). */
export interface ClaimRules {
  readonly root: ClaimRuleNode;
  /** Every category the rules name. */
  readonly categories: ReadonlySet<string>;
}

export interface FilterInput {
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
  status: number;
}

export type FilterResult =
  /** Decoded, filtered, UTF-8 JSON; no content coding. */
  | { kind: 'filtered'; body: Buffer; contentType: string }
  /** Not JSON: forward the original bytes and headers. */
  | { kind: 'passthrough' }
  /** Cannot be filtered with certainty: answer 502; `reason` holds no body content. */
  | { kind: 'refused'; reason: string };

const SEGMENT = /^([^[\]]*)((?:\[\])*)$/;

/**
 * Parses `{ "items[].unit_price": "pricing", … }`: segments separated by `.`, `[]` marking an array. Arrays
 * are transparent everywhere (a step that meets an array applies to each element), so `[]` documents
 * the shape without changing the match, and `total_price` also filters a list `[{ "total_price": … }]`.
 * Throws on a malformed path (names holding `.`, `[` or `]` cannot be addressed).
 */
export function compileClaims(claims: Record<string, string>): ClaimRules {
  const root: ClaimRuleNode = { categories: [], children: new Map() };
  const categories = new Set<string>();
  for (const [path, category] of Object.entries(claims)) {
    if (typeof category !== 'string' || category === '') {
      throw new Error(`claims path "${path}": empty category`);
    }
    const steps = path.split('.').map((segment) => {
      const match = SEGMENT.exec(segment);
      if (!match)
        throw new Error(`claims path "${path}": a bracket other than a trailing [] in "${segment}"`);
      return { name: match[1], array: match[2] !== '' };
    });
    if (steps.length > 1 && steps[0].name === '' && steps[0].array) steps.shift(); // "[].total_price"
    let node = root;
    for (const { name } of steps) {
      if (name === '') throw new Error(`claims path "${path}": empty field name`);
      let child = node.children.get(name);
      if (!child) {
        child = { categories: [], children: new Map() };
        node.children.set(name, child);
      }
      node = child;
    }
    node.categories.push(category);
    categories.add(category);
  }
  return { root, categories };
}

/**
 * Filters one upstream response for a token granting `granted` categories. Any status's JSON body is
 * filtered (error bodies may echo data) except 204/304, which have none; 206 is refused, as a part of a
 * representation cannot be filtered.
 */
export function filterResponse(
  input: FilterInput,
  rules: ClaimRules,
  granted: ReadonlySet<string>,
  limits: { maxBodyBytes: number },
): FilterResult {
  if (input.status === 204 || input.status === 304) return PASSTHROUGH;
  if (input.status === 206) return refused('partial content (206) cannot be filtered');
  if (input.body.length === 0) return PASSTHROUGH;
  const max = limits.maxBodyBytes;
  if (input.body.length > max) return refused(`response body exceeds ${max} bytes`);

  const media = parseMediaType(input.contentType);
  if (media && unfilterable(media.essence)) return refused(`${media.essence} responses cannot be filtered`);

  const decoded = decodeContent(input.body, input.contentEncoding ?? '', max);
  if (!Buffer.isBuffer(decoded)) return decoded;

  const { encoding, bomLength } = detectEncoding(decoded);
  const start = firstSignificant(decoded, encoding, bomLength);
  if (start === -1) return PASSTHROUGH; // nothing but whitespace
  const declaredJson = media !== undefined && declaresJson(media.essence);
  if (!declaredJson && !looksLikeJson(headOf(decoded, encoding, start))) return PASSTHROUGH;

  const text = decodeText(decoded, encoding, bomLength, media?.charset);
  if (typeof text !== 'string') return text;
  const filtered = filterJsonText(text, rules.root, granted);
  if (typeof filtered !== 'string') return filtered;
  return {
    kind: 'filtered',
    body: Buffer.from(filtered, 'utf8'),
    contentType: encoding === 'utf-8' ? input.contentType || 'application/json' : withUtf8(input.contentType),
  };
}

const PASSTHROUGH: FilterResult = Object.freeze({ kind: 'passthrough' });

function refused(reason: string): FilterResult {
  return { kind: 'refused', reason };
}

// ---- Media types (RFC 9110 §8.3.1) ----

interface MediaType {
  essence: string;
  charset?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

function parseMediaType(value: string | undefined): MediaType | undefined {
  if (!value) return undefined;
  const [head, ...params] = value.split(';');
  const essence = head.trim().toLowerCase();
  const [type, subtype, extra] = essence.split('/');
  if (extra !== undefined || !TOKEN.test(type ?? '') || !TOKEN.test(subtype ?? '')) return undefined;
  const media: MediaType = { essence };
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    media.charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return media;
}

function declaresJson(essence: string): boolean {
  return (
    essence === 'application/json' ||
    essence === 'text/json' ||
    essence === 'application/x-json' ||
    essence === 'text/x-json' ||
    essence.endsWith('+json') // RFC 6839 §3.1
  );
}

/** Formats that carry JSON a buffered filter cannot rewrite: refused rather than leaked. */
function unfilterable(essence: string): boolean {
  return (
    essence.startsWith('multipart/') ||
    essence === 'text/event-stream' ||
    essence === 'application/json-seq' || // RFC 7464
    essence.endsWith('+json-seq')
  );
}

/** The declared type with its charset replaced by utf-8 (after transcoding UTF-16). */
function withUtf8(contentType: string | undefined): string {
  if (!parseMediaType(contentType)) return 'application/json; charset=utf-8';
  const [head, ...params] = (contentType as string).split(';');
  const kept = params.filter((p) => p.split('=')[0].trim().toLowerCase() !== 'charset').map((p) => p.trim());
  return [head.trim(), ...kept, 'charset=utf-8'].join('; ');
}

function safeName(value: string): string {
  return TOKEN.test(value) && value.length <= 40 ? ` "${value}"` : '';
}

// ---- Content codings (RFC 9110 §8.4), each stage bounded ----

const CODINGS = new Set(['identity', 'gzip', 'x-gzip', 'deflate', 'br']);

function decodeContent(body: Buffer, header: string, max: number): Buffer | FilterResult {
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  const unknown = codings.find((c) => !CODINGS.has(c));
  if (unknown !== undefined) return refused(`unsupported content-coding${safeName(unknown)}`);
  let data = body;
  // Codings are listed in the order they were applied (RFC 9110 §8.4): undo them from the last.
  for (const coding of codings.reverse()) {
    if (coding === 'identity') continue;
    try {
      data = decodeOne(data, coding, { maxOutputLength: Math.max(1, max) });
    } catch (error) {
      if (tooLarge(error)) return refused(`decompressed body exceeds ${max} bytes`);
      return refused(`could not decode the ${coding}-coded body`);
    }
  }
  return data;
}

function decodeOne(data: Buffer, coding: string, options: ZlibOptions): Buffer {
  if (coding === 'br') return brotliDecompressSync(data, options);
  if (coding === 'deflate') {
    // "deflate" is the zlib format (RFC 9110 §8.4.1.2), but some servers send raw deflate (RFC 1951):
    // like browsers, read raw deflate when the first two bytes are not a zlib header (RFC 1950 §2.2).
    const zlibHeader = data.length >= 2 && (data[0] & 0x0f) === 8 && (data[0] * 256 + data[1]) % 31 === 0;
    return zlibHeader ? inflateSync(data, options) : inflateRawSync(data, options);
  }
  return gunzipSync(data, options);
}

function tooLarge(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_BUFFER_TOO_LARGE';
}

// ---- Charsets: UTF-8, or UTF-16 transcoded; detection as in RFC 4627 §3 ----

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

const UNIT: Record<Encoding, number> = {
  'utf-8': 1,
  'utf-16le': 2,
  'utf-16be': 2,
  'utf-32le': 4,
  'utf-32be': 4,
};
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'us-ascii', 'ascii']);

/** From a byte-order mark, else from where the zero bytes fall (JSON starts with an ASCII character). */
function detectEncoding(b: Buffer): { encoding: Encoding; bomLength: number } {
  const [b0, b1, b2, b3] = [b[0], b[1], b[2], b[3]];
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0xfe && b3 === 0xff) return { encoding: 'utf-32be', bomLength: 4 };
  if (b0 === 0xff && b1 === 0xfe && b2 === 0x00 && b3 === 0x00) return { encoding: 'utf-32le', bomLength: 4 };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  if (b0 === 0xff && b1 === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (b.length >= 4 && b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0)
    return { encoding: 'utf-32be', bomLength: 0 };
  if (b.length >= 4 && b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0)
    return { encoding: 'utf-32le', bomLength: 0 };
  if (b.length >= 2 && b0 === 0 && b1 !== 0) return { encoding: 'utf-16be', bomLength: 0 };
  if (b.length >= 2 && b0 !== 0 && b1 === 0) return { encoding: 'utf-16le', bomLength: 0 };
  return { encoding: 'utf-8', bomLength: 0 };
}

function unitAt(b: Buffer, encoding: Encoding, i: number): number {
  switch (encoding) {
    case 'utf-8':
      return b[i];
    case 'utf-16le':
      return b.readUInt16LE(i);
    case 'utf-16be':
      return b.readUInt16BE(i);
    case 'utf-32le':
      return b.readUInt32LE(i);
    case 'utf-32be':
      return b.readUInt32BE(i);
  }
}

/** Whitespace skipped before looking at the first character: JSON's own, plus \v, \f and a stray BOM. */
function isLeadingSpace(unit: number): boolean {
  return unit === 0x20 || (unit >= 0x09 && unit <= 0x0d) || unit === 0xfeff;
}

/** Byte offset of the first significant character, or -1. */
function firstSignificant(b: Buffer, encoding: Encoding, from: number): number {
  const size = UNIT[encoding];
  let i = from;
  while (i + size <= b.length) {
    if (encoding === 'utf-8' && b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) i += 3;
    else if (isLeadingSpace(unitAt(b, encoding, i))) i += size;
    else return i;
  }
  return -1;
}

/** The first few characters from `start`, non-ASCII ones replaced (only ASCII is compared). */
function headOf(b: Buffer, encoding: Encoding, start: number): string {
  const size = UNIT[encoding];
  let head = '';
  for (let i = start; i + size <= b.length && head.length < 9; i += size) {
    const unit = unitAt(b, encoding, i);
    head += unit < 0x80 ? String.fromCharCode(unit) : '\ufffd';
  }
  return head;
}

/** Anti-XSSI prefixes that clients strip before parsing the JSON that follows. */
const XSSI_PREFIXES = [")]}'", 'while(1);', 'for(;;);'];

function looksLikeJson(head: string): boolean {
  return head.startsWith('{') || head.startsWith('[') || XSSI_PREFIXES.some((p) => head.startsWith(p));
}

function decodeText(
  b: Buffer,
  encoding: Encoding,
  bomLength: number,
  charset?: string,
): string | FilterResult {
  if (encoding === 'utf-32le' || encoding === 'utf-32be') return refused('UTF-32 JSON is not supported');
  if (encoding === 'utf-8' && charset !== undefined && !UTF8_LABELS.has(charset)) {
    if (/^(utf-?(16|32)|ucs-?2|unicode)/.test(charset)) {
      return refused(`declared charset${safeName(charset)} does not match the body`);
    }
    // Pure ASCII reads the same in every ASCII-compatible charset; anything else would need transcoding
    // whose mapping (ISO-8859-1 or windows-1252?) clients disagree on.
    if (!isAscii(b)) return refused(`JSON in charset${safeName(charset)} is not supported`);
  }
  const content = b.subarray(bomLength);
  if (encoding === 'utf-8') {
    return isUtf8(content) ? content.toString('utf8') : refused('response JSON is not valid UTF-8');
  }
  try {
    // Unpaired surrogates are refused here: re-encoded as UTF-8 they would turn into U+FFFD.
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(content);
  } catch {
    return refused('response JSON is not valid UTF-16');
  }
}

// ---- JSON ----

class DuplicateMemberError extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function filterJsonText(
  text: string,
  root: ClaimRuleNode,
  granted: ReadonlySet<string>,
): string | FilterResult {
  let start = 0;
  while (start < text.length && isLeadingSpace(text.charCodeAt(start))) start++;
  let prefix = '';
  const xssi = XSSI_PREFIXES.find((p) => text.startsWith(p, start));
  if (xssi !== undefined) {
    let end = start + xssi.length;
    if (xssi === ")]}'" && text.charCodeAt(end) === COMMA) end++;
    while (end < text.length && isLeadingSpace(text.charCodeAt(end))) end++;
    prefix = text.slice(start, end); // kept as sent: the client strips it
    start = end;
  }
  const json = text.slice(start);
  if (exceedsDepth(json, MAX_JSON_DEPTH))
    return refused(`response JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    // Validation only (the native parser is strict RFC 8259 and fast); values are never taken from it.
    JSON.parse(json);
  } catch {
    return refused('response is not valid JSON');
  }
  try {
    return prefix + new JsonCutter(json, granted).run(root);
  } catch (error) {
    // RFC 8259 §4: with duplicate names, receivers disagree on which value counts; refuse rather than guess.
    if (error instanceof DuplicateMemberError) return refused('response JSON has a duplicate member name');
    return refused('response is not valid JSON');
  }
}

/** Nesting depth of objects and arrays, without recursion (brackets inside strings do not count). */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === LBRACE || c === LBRACKET) {
      if (++depth > max) return true;
    } else if (c === RBRACE || c === RBRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Walks JSON text that is already known to be valid and returns it with the denied members cut out
 * (with their separating comma). Everything else is the input's own text, byte for byte: numbers and
 * strings keep their exact lexemes, members their order. Recursion is bounded by exceedsDepth.
 */
class JsonCutter {
  private i = 0;
  private copied = 0;
  private out = '';

  constructor(
    private readonly text: string,
    private readonly granted: ReadonlySet<string>,
  ) {}

  run(root: ClaimRuleNode): string {
    this.skipSpace();
    this.value(root);
    const end = this.i;
    this.skipSpace();
    if (this.i !== this.text.length) throw new SyntaxError('end of input expected');
    return this.out + this.text.slice(this.copied, end);
  }

  /** Skips one value; `node` holds the rules for members of objects at this level (arrays are transparent). */
  private value(node: ClaimRuleNode | undefined): void {
    const c = this.text.charCodeAt(this.i);
    if (c === LBRACE) this.object(node);
    else if (c === LBRACKET) this.array(node);
    else if (c === QUOTE) this.string();
    else this.literal();
  }

  private object(node: ClaimRuleNode | undefined): void {
    this.i++;
    this.skipSpace();
    if (this.text.charCodeAt(this.i) === RBRACE) {
      this.i++;
      return;
    }
    const seen = new Set<string>();
    let anyKept = false;
    let previousEnd = 0;
    for (;;) {
      this.skipSpace();
      const memberStart = this.i;
      const raw = this.string();
      const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      if (seen.has(name)) throw new DuplicateMemberError();
      seen.add(name);
      this.skipSpace();
      this.expect(COLON);
      this.skipSpace();
      const rule = node?.children.get(name);
      const drop = rule !== undefined && !rule.categories.every((c) => this.granted.has(c));
      this.value(!drop && rule !== undefined && rule.children.size > 0 ? rule : undefined);
      const valueEnd = this.i;
      this.skipSpace();
      const last = this.text.charCodeAt(this.i) === RBRACE;
      if (!last) this.expect(COMMA);
      if (!drop) {
        anyKept = true;
      } else if (anyKept) {
        this.cut(previousEnd, valueEnd); // `, "name": value` after a kept member
      } else {
        if (!last) this.skipSpace();
        this.cut(memberStart, last ? valueEnd : this.i); // `"name": value,` before any kept member
      }
      previousEnd = valueEnd;
      if (last) break;
    }
    this.i++;
  }

  private array(node: ClaimRuleNode | undefined): void {
    this.i++;
    this.skipSpace();
    if (this.text.charCodeAt(this.i) !== RBRACKET) {
      for (;;) {
        this.skipSpace();
        this.value(node);
        this.skipSpace();
        if (this.text.charCodeAt(this.i) === RBRACKET) break;
        this.expect(COMMA);
      }
    }
    this.i++;
  }

  /** Skips a string token and returns it raw, quotes included. */
  private string(): string {
    const start = this.i;
    if (this.text.charCodeAt(start) !== QUOTE) throw new SyntaxError('string expected');
    let end = start;
    for (;;) {
      end = this.text.indexOf('"', end + 1);
      if (end === -1) throw new SyntaxError('unterminated string');
      let backslashes = 0;
      while (this.text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    this.i = end + 1;
    return this.text.slice(start, this.i);
  }

  /** A number, true, false or null: up to the next delimiter. */
  private literal(): void {
    const start = this.i;
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (Number.isNaN(c) || c === COMMA || c === RBRACE || c === RBRACKET || c === 0x20 || c === 0x0a) break;
      if (c === 0x0d || c === 0x09) break;
      this.i++;
    }
    if (this.i === start) throw new SyntaxError('value expected');
  }

  private cut(from: number, to: number): void {
    this.out += this.text.slice(this.copied, from);
    this.copied = to;
  }

  private expect(code: number): void {
    if (this.text.charCodeAt(this.i) !== code)
      throw new SyntaxError(`'${String.fromCharCode(code)}' expected`);
    this.i++;
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }
}
