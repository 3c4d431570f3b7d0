/**
 * The framework-independent core of `@scopegate/nest`: RFC 9068 access-token verification, RFC 6750
 * errors and bearer parsing, the claims filter, and the remote verifier (JWKS, revocation feed,
 * introspection fallback, claims catalog, usage reports) that the Nest module and the gateway share.
 */
export * from './access-token';
export * from './bearer-token';
export * from './claim-fields';
export * from './claims-filter';
export * from './errors';
export * from './syntax';
export { RESOURCE_SERVER_SCOPE, type IssuerMetadata } from './issuer-client';
export { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from './jwks';
export { consoleLogger, ThrottledLog, type ScopegateLogger } from './logger';
export { IssuerRefusedError, IssuerUnreachableError, type IssuerConnection } from './remote';
export type { UsageEvent, UsageReporterOptions } from './usage-reporter';
export { VerifiedTokenCache } from './verified-token-cache';
export {
  createVerifier,
  type ScopegateVerifier,
  type VerifierOptions,
  type VerifierStatus,
} from './verifier';
