import { ClientCredentials1795460000000 } from './1795460000000-ClientCredentials';
import { TokenLifecycle1795470000000 } from './1795470000000-TokenLifecycle';
import { UserDelegation1795480000000 } from './1795480000000-UserDelegation';
import { RoleHolders1795490000000 } from './1795490000000-RoleHolders';
import { AuditEventKey1795500200000 } from './1795500200000-AuditEventKey';

/** Every migration in order. Never edit one that has landed; add a new one. */
export const MIGRATIONS: Function[] = [
  ClientCredentials1795460000000,
  TokenLifecycle1795470000000,
  UserDelegation1795480000000,
  RoleHolders1795490000000,
  AuditEventKey1795500200000,
];
