/** The verified caller behind an access token; defined with the RFC 9068 verification it comes from. */
export type { Principal } from '../protocol/access-token';
