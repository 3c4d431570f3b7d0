import { ClientCredentials1795460000000 } from './1795460000000-ClientCredentials';
import { TokenLifecycle1795470000000 } from './1795470000000-TokenLifecycle';
import { UserDelegation1795480000000 } from './1795480000000-UserDelegation';
import { RoleHolders1795490000000 } from './1795490000000-RoleHolders';
import { AuditCheckpoints1795500100000 } from './1795500100000-AuditCheckpoints';
import { ApisAndAudiences1795500400000 } from './1795500400000-ApisAndAudiences';
import { KeyRevocation1795500300000 } from './1795500300000-KeyRevocation';
import { ScopeHolders1795500310000 } from './1795500310000-ScopeHolders';
import { SimpleLogin1795500320000 } from './1795500320000-SimpleLogin';
import { RateLimitCounters1795500000000 } from './1795500000000-RateLimitCounters';
import { AuditEventKey1795500200000 } from './1795500200000-AuditEventKey';

/** Every migration in order. Never edit one that has landed; add a new one. */
export const MIGRATIONS: Function[] = [
  ClientCredentials1795460000000,
  TokenLifecycle1795470000000,
  UserDelegation1795480000000,
  RoleHolders1795490000000,
  RateLimitCounters1795500000000,
  AuditCheckpoints1795500100000,
  AuditEventKey1795500200000,
  KeyRevocation1795500300000,
  ScopeHolders1795500310000,
  SimpleLogin1795500320000,
  ApisAndAudiences1795500400000,
];
