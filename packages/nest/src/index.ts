/**
 * `@scopegate/nest`: protect a NestJS API with Scopegate access tokens. See the README for a quick
 * start; the framework-independent core is also available as `@scopegate/nest/core`.
 */
export { ScopegateModule, ScopegateClient } from './nest/scopegate.module';
export type {
  ScopegateModuleAsyncOptions,
  ScopegateModuleOptions,
  ScopegatePortsOptions,
} from './nest/scopegate.module';
export { Authenticated, CurrentPrincipal, Public, IS_PUBLIC, REQUIRED_SCOPES } from './nest/decorators';
export type { AuthenticatedOptions } from './nest/decorators';
export { ClaimCategory, CLAIM_CATEGORY_EXTENSION } from './nest/claim-category.decorator';
export { ClaimsService } from './nest/claims.service';
export { AccessTokenGuard } from './nest/access-token.guard';
export { ApiCallInterceptor } from './nest/api-call.interceptor';
export { ClaimsInterceptor } from './nest/claims.interceptor';
export { OAuthErrorFilter } from './nest/oauth-error.filter';
export { AccessTokenAuthenticator, ApiCallRecorder, ClaimCatalog, type ApiCall } from './nest/ports';
export type { ScopegateRequest } from './nest/http-request';
export type { Principal } from './core/access-token';
export {
  createVerifier,
  filterClaims,
  InsufficientScopeError,
  InvalidTokenError,
  OAuthError,
  TemporarilyUnavailableError,
  type ScopegateVerifier,
  type VerifierOptions,
  type VerifierStatus,
} from './core';
