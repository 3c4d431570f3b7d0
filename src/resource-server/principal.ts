/** The verified caller behind an access token (RFC 9068 claims). */
export interface Principal {
  jti: string;
  /** Client id (client credentials) or user id. */
  sub: string;
  clientId: string;
  scopes: ReadonlySet<string>;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The key that signed the token (the guard's verified-token cache checks it is still published). */
  kid?: string;
}
