import { ClientCredentials1795460000000 } from './1795460000000-ClientCredentials';

/** Every migration in order. Never edit one that has landed; add a new one. */
export const MIGRATIONS: Function[] = [ClientCredentials1795460000000];
