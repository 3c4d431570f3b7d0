import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { ScopesModule } from '../scopes/scopes.module';
import { TokensModule } from '../tokens/tokens.module';
import { ClientAuthenticator } from './client-authentication';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import { GRANT_HANDLERS, type GrantHandler } from './grants/grant-handler';
import { MetadataController } from './metadata.controller';
import { TokenController } from './token.controller';
import { TokenLifecycleController } from './token-lifecycle.controller';

/** Every grant handler; add a new grant here (and to SUPPORTED_GRANT_TYPES). */
const GRANTS = [ClientCredentialsGrant];

@Module({
  imports: [ClientsModule, TokensModule, KeysModule, ScopesModule, AuditModule],
  providers: [
    ClientAuthenticator,
    ...GRANTS,
    { provide: GRANT_HANDLERS, useFactory: (...handlers: GrantHandler[]) => handlers, inject: GRANTS },
  ],
  controllers: [TokenController, MetadataController, TokenLifecycleController],
})
export class OAuthModule {}
