import { AccessTokenAuthenticator, ApiCallRecorder, ClaimCatalog, ScopegateModule } from '@scopegate/nest';
import { AuditModule } from './audit/audit.module';
import { AuditService } from './audit/audit.service';
import { apiCallEvent } from './audit/api-call.event';
import { ScopesModule } from './scopes/scopes.module';
import { ScopesService } from './scopes/scopes.service';
import { AccessTokenVerifier } from './tokens/access-token-verifier';
import { TokensModule } from './tokens/tokens.module';

/**
 * Scopegate's own routes are protected by the same package other teams use (@scopegate/nest: one
 * guard, one set of decorators, one claims filter), with its ports bound to this application's domain:
 * tokens are verified by AccessTokenVerifier against our own keys and revocation set, claim
 * categories come from the scope catalog, calls go to the audit log (batched). The factories' return
 * types make the compiler check that each domain class fits its port.
 */
export const ResourceServer = ScopegateModule.forPorts({
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
      useFactory: (audit: AuditService): ApiCallRecorder => ({
        record: (call) => audit.recordLater(apiCallEvent(call)),
      }),
      inject: [AuditService],
    },
  ],
});
