import { AuditEventEntity } from '../audit/audit-event.entity';
import { ClaimCategoryEntity } from '../claims/claim-category.entity';
import { ClientEntity } from '../clients/client.entity';
import { CustomerEntity } from '../customers/customer.entity';
import { SigningKeyEntity } from '../keys/signing-key.entity';
import { AuthorizationCodeEntity } from '../oauth/authorize/authorization-code.entity';
import { ConsentEntity } from '../oauth/authorize/consent.entity';
import { RefreshTokenEntity } from '../oauth/refresh/refresh-token.entity';
import { RoleEntity } from '../scopes/role.entity';
import { ScopeEntity } from '../scopes/scope.entity';
import { TokenEntity } from '../tokens/token.entity';
import { UserEntity } from '../users/user.entity';

/** Every TypeORM entity, listed explicitly so the app, the CLI and the tests load the same set. */
export const ENTITIES: Function[] = [
  AuditEventEntity,
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
];
