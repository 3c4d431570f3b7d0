/**
 * Who did it, as the audit log records it: a token's caller (its `sub`, client and jti; a verified
 * principal fits), a client acting itself, or `{ sub: 'system' }` (bootstrap, seed, background work).
 */
export interface Actor {
  sub: string;
  clientId?: string | null;
  jti?: string | null;
}
