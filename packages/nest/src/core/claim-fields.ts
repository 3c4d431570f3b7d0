/**
 * Which claim category each field of a class belongs to. Written by the `ClaimCategory` decorator
 * (or by `declareClaimCategory` without decorators), read by the claims filter. Subclasses inherit
 * their parents' fields and may add their own.
 */
const own = new WeakMap<Function, Map<string | symbol, string>>();
const resolved = new WeakMap<Function, ReadonlyMap<string | symbol, string> | undefined>();

export function declareClaimCategory(ctor: Function, field: string | symbol, category: string): void {
  let fields = own.get(ctor);
  if (!fields) own.set(ctor, (fields = new Map()));
  fields.set(field, category);
  // Declarations happen while classes are being defined; forget what was resolved before.
  resolved.delete(ctor);
}

/** The field → category map of a class (including inherited fields), if it has any. */
export function claimFieldsOf(ctor: Function): ReadonlyMap<string | symbol, string> | undefined {
  if (resolved.has(ctor)) return resolved.get(ctor);
  const chain: Function[] = [];
  for (let c: Function | null = ctor; c && c !== Function.prototype; c = Object.getPrototypeOf(c))
    chain.unshift(c);
  let merged: Map<string | symbol, string> | undefined;
  for (const c of chain) {
    const fields = own.get(c);
    if (fields) merged = new Map([...(merged ?? []), ...fields]);
  }
  resolved.set(ctor, merged);
  return merged;
}
