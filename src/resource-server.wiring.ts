import { AuditModule } from './audit/audit.module';
import { AuditService } from './audit/audit.service';
import { ResourceServerModule } from './resource-server/resource-server.module';
import {
  AccessTokenAuthenticator,
  ApiCallRecorder,
  ClaimCatalog,
} from './resource-server/resource-server.ports';
import { ScopesModule } from './scopes/scopes.module';
import { ScopesService } from './scopes/scopes.service';
import { AccessTokenVerifier } from './tokens/access-token-verifier';
import { TokensModule } from './tokens/tokens.module';

/**
 * The resource server bound to this application's domain: tokens are verified by AccessTokenVerifier,
 * claim categories come from the scope catalog, API calls go to the audit log (batched).
 * The factories' return types make the compiler check that each domain class fits its port.
 */
export const ResourceServer = ResourceServerModule.forRoot({
  imports: [TokensModule, ScopesModule, AuditModule],
  providers: [
    {
      provide: AccessTokenAuthenticator,
      useFactory: (verifier: AccessTokenVerifier): AccessTokenAuthenticator => verifier,
      inject: [AccessTokenVerifier],
    },
    {
      provide: ClaimCatalog,
      useFactory: (scopes: ScopesService): ClaimCatalog => scopes,
      inject: [ScopesService],
    },
    {
      provide: ApiCallRecorder,
      useFactory: (audit: AuditService): ApiCallRecorder => ({ record: (event) => audit.recordLater(event) }),
      inject: [AuditService],
    },
  ],
});
