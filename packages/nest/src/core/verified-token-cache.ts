/**
 * Tokens already verified, remembered until they expire so that a token presented again costs a map
 * lookup instead of a signature check (~90 µs). Bounded: the oldest entry makes room. What can change
 * before expiry (revocation, key removal) is not cached: the verifier re-checks it on every use.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAtMs: number }>();

  constructor(private readonly max: number) {}

  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry && entry.expiresAtMs <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry?.value;
  }

  /** `exp`: the token's expiry, seconds since the epoch. */
  set(token: string, value: T, exp: number): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { value, expiresAtMs: exp * 1000 });
  }

  delete(token: string): void {
    this.entries.delete(token);
  }
}
