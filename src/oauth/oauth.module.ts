import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { ScopesModule } from '../scopes/scopes.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthorizeController } from './authorize/authorize.controller';
import { AuthorizeService } from './authorize/authorize.service';
import { LoginThrottle } from './authorize/login-throttle';
import { ClientAuthenticator } from './client-authentication';
import { AuthorizationCodeGrant } from './grants/authorization-code.grant';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import { GRANT_HANDLERS, type GrantHandler } from './grants/grant-handler';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { UserTokenIssuer } from './grants/user-token-issuer';
import { MetadataController } from './metadata.controller';
import { IdTokenService } from './oidc/id-token.service';
import { UserinfoController } from './oidc/userinfo.controller';
import { RefreshTokensService } from './refresh/refresh-tokens.service';
import { SimpleLoginController } from './simple-login.controller';
import { TokenController } from './token.controller';
import { REFRESH_TOKEN_LIFECYCLE, TokenLifecycleController } from './token-lifecycle.controller';

/** Every grant handler; add a new grant here (and to SUPPORTED_GRANT_TYPES). */
const GRANTS = [ClientCredentialsGrant, AuthorizationCodeGrant, RefreshTokenGrant];

@Module({
  imports: [ClientsModule, TokensModule, KeysModule, ScopesModule, AuditModule, UsersModule],
  providers: [
    ClientAuthenticator,
    AuthorizeService,
    LoginThrottle,
    RefreshTokensService,
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
    SimpleLoginController,
  ],
})
export class OAuthModule {}
