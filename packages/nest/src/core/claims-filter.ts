import { claimFieldsOf } from './claim-fields';

/**
 * Returns a copy of `value` without the fields whose claim category is not in `granted` — in single
 * objects, arrays and nested objects at any depth. Objects of classes without categories are copied
 * field by field (so a page wrapper around DTOs is filtered too); dates and primitives pass through.
 */
export function filterClaims<T>(value: T, granted: ReadonlySet<string>): T {
  return walk(value, granted, 0) as T;
}

const MAX_DEPTH = 32;
const NO_FIELDS: ReadonlyMap<string | symbol, string> = new Map();

function walk(
  value: unknown,
  granted: ReadonlySet<string>,
  depth: number,
  inherited?: ReadonlyMap<string | symbol, string>,
): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value))
    return value;
  if (depth > MAX_DEPTH) throw new Error('claims filter: object nesting too deep');
  if (Array.isArray(value)) return value.map((v) => walk(v, granted, depth + 1));
  const fields = claimFieldsOf(value.constructor) ?? inherited;
  // JSON.stringify sends what toJSON returns, not the object's fields (which it may hide): that is
  // what is filtered, with the categories of the object's class.
  // (Once per value, as JSON.stringify does: the result's own toJSON is not called.)
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && inherited === undefined) {
    const json: unknown = toJSON.call(value, '');
    if (json !== value) return walk(json, granted, depth + 1, fields ?? NO_FIELDS);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const category = fields?.get(key);
    if (category !== undefined && !granted.has(category)) continue;
    out[key] = walk(v, granted, depth + 1);
  }
  return out;
}

/**
 * Fields present in `value` whose categories are not granted (for write checks), at any depth like
 * the response filter: nested DTOs and arrays of them are searched (`lines[1].unit_price`).
 */
export function ungrantedFields(
  value: object,
  granted: ReadonlySet<string>,
): { field: string; category: string }[] {
  const found: { field: string; category: string }[] = [];
  collectUngranted(value, granted, '', 0, found);
  return found;
}

function collectUngranted(
  value: unknown,
  granted: ReadonlySet<string>,
  path: string,
  depth: number,
  found: { field: string; category: string }[],
): void {
  if (value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) return;
  if (depth > MAX_DEPTH) throw new Error('claims filter: object nesting too deep');
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectUngranted(v, granted, `${path}[${i}]`, depth + 1, found));
    return;
  }
  const fields = claimFieldsOf(value.constructor);
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const field = path ? `${path}.${key}` : key;
    const category = fields?.get(key);
    if (category !== undefined && !granted.has(category)) found.push({ field, category });
    else collectUngranted(v, granted, field, depth + 1, found);
  }
}
