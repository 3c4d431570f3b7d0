import { ApisModule } from '../apis/apis.module';
import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { ScopesModule } from '../scopes/scopes.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthorizeController } from './authorize/authorize.controller';
import { AuthorizeService } from './authorize/authorize.service';
import { LoginThrottle } from './login/login-throttle';
import { LoginService } from './login/login.service';
import { ClientAuthenticator } from './token/client-authenticator';
import { ClientAuthThrottle, FailureAuditAggregator } from './token/client-auth-throttle';
import { RateLimitModule } from '../platform/rate-limit/rate-limit.module';
import { AuthorizationCodeGrant } from './token/grants/authorization-code.grant';
import { ClientCredentialsGrant } from './token/grants/client-credentials.grant';
import { GRANT_HANDLERS, type GrantHandler } from './token/grants/grant-handler';
import { RefreshTokenGrant } from './token/grants/refresh-token.grant';
import { UserTokenIssuer } from './token/grants/user-token-issuer';
import { MetadataController } from './discovery/metadata.controller';
import { IdTokenService } from './oidc/id-token.service';
import { UserinfoController } from './oidc/userinfo.controller';
import { RefreshTokensService } from '../tokens/refresh/refresh-tokens.service';
import { SimpleLoginController } from './login/simple-login.controller';
import { TokenController } from './token/token.controller';
import { RevocationFeedController } from './resource-servers/revocation-feed.controller';
import { ClaimsCatalogController } from './resource-servers/claims-catalog.controller';
import { UsageController } from './resource-servers/usage.controller';
import { REFRESH_TOKEN_LIFECYCLE, TokenLifecycleController } from './lifecycle/token-lifecycle.controller';

/**
 * Every grant handler; the token endpoint and the metadata's grant_types_supported follow this list.
 * A new grant goes here and into SUPPORTED_GRANT_TYPES (which client registration accepts): a handler
 * of another type does not compile, and test/e2e/grant-registry.e2e-spec.ts fails on a type without one.
 */
const GRANTS = [ClientCredentialsGrant, AuthorizationCodeGrant, RefreshTokenGrant];

@Module({
  imports: [
    ApisModule,
    ClientsModule,
    TokensModule,
    KeysModule,
    ScopesModule,
    AuditModule,
    UsersModule,
    RateLimitModule,
  ],
  providers: [
    ClientAuthenticator,
    ClientAuthThrottle,
    FailureAuditAggregator,
    AuthorizeService,
    LoginThrottle,
    LoginService,
    { provide: REFRESH_TOKEN_LIFECYCLE, useExisting: RefreshTokensService },
    IdTokenService,
    UserTokenIssuer,
    ...GRANTS,
    { provide: GRANT_HANDLERS, useFactory: (...handlers: GrantHandler[]) => handlers, inject: GRANTS },
  ],
  controllers: [
    TokenController,
    MetadataController,
    TokenLifecycleController,
    AuthorizeController,
    UserinfoController,
    RevocationFeedController,
    ClaimsCatalogController,
    UsageController,
  ],
})
export class OAuthModule {
  /** SIMPLE_LOGIN: `POST /auth` exists only when it is on (otherwise 404, and absent from the OpenAPI document). */
  static forRoot({ simpleLogin }: { simpleLogin: boolean }): DynamicModule {
    return { module: OAuthModule, controllers: simpleLogin ? [SimpleLoginController] : [] };
  }
}
