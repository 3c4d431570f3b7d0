import type { Principal } from './principal';

/**
 * Tokens already verified, remembered until they expire so that a client reusing its token costs a
 * map lookup instead of a signature check (~90 µs). Bounded: the oldest entry makes room. What can
 * change before expiry (revocation, key removal) is not cached — the guard re-checks it per request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Principal>();

  constructor(private readonly max: number) {}

  get(token: string, nowMs: number): Principal | undefined {
    const principal = this.entries.get(token);
    if (principal && principal.exp * 1000 <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, principal);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }
}
