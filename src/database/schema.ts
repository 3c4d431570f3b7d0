import type { Schema } from '../platform/db/connection';
import { MIGRATIONS } from './migrations';
import { AuditCheckpointEntity } from '../audit/audit-checkpoint.entity';
import { ApiEntity, ApiResourceServerEntity, ApiScopeEntity } from '../apis/api.entity';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { UsageBatchEntity } from '../audit/usage-batch.entity';
import { ClaimCategoryEntity } from '../scopes/claim-category.entity';
import { ClientEntity } from '../clients/client.entity';
import { CustomerEntity } from '../demo/customers/customer.entity';
import { SigningKeyEntity } from '../keys/signing-key.entity';
import { AuthorizationCodeEntity } from '../tokens/codes/authorization-code.entity';
import { ConsentEntity } from '../tokens/consents/consent.entity';
import { RefreshTokenEntity } from '../tokens/refresh/refresh-token.entity';
import { RateLimitCounterEntity } from '../platform/rate-limit/rate-limit-counter.entity';
import { RoleEntity } from '../scopes/role.entity';
import { ScopeEntity } from '../scopes/scope.entity';
import { TokenEntity } from '../tokens/token.entity';
import { UserEntity } from '../users/user.entity';

/** Every TypeORM entity, listed explicitly so the app, the CLI and the tests load the same set. */
const ENTITIES: Function[] = [
  AuditEventEntity,
  AuditCheckpointEntity,
  ClaimCategoryEntity,
  ClientEntity,
  CustomerEntity,
  SigningKeyEntity,
  RoleEntity,
  ScopeEntity,
  TokenEntity,
  UserEntity,
  ConsentEntity,
  AuthorizationCodeEntity,
  RefreshTokenEntity,
  ApiEntity,
  ApiScopeEntity,
  ApiResourceServerEntity,
  UsageBatchEntity,
  RateLimitCounterEntity,
];

/** The application's schema: the app, the migration CLI and the tests all open the database with it. */
export const SCHEMA: Schema = { entities: ENTITIES, migrations: MIGRATIONS };
