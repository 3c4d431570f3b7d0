import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseConnection {
  url: string;
  poolSize: number;
  /** Runs pending migrations when the DataSource initialises. */
  migrationsRun: boolean;
  /** The embedded PGlite: one process, one session, no LISTEN/NOTIFY across connections. */
  embedded: boolean;
}

export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/** The one set of TypeORM options, shared by the app and the migration CLI (`ormconfig.ts`). */
export function dataSourceOptions(conn: DatabaseConnection): DataSourceOptions {
  return {
    type: 'postgres',
    url: conn.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: conn.migrationsRun,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Query errors surface through the exception filter and the pino logger; TypeORM's own logger
    // would print failing SQL with its parameters, outside log levels and redaction.
    logging: false,
    extra: {
      max: conn.poolSize,
      application_name: 'scopegate',
      connectionTimeoutMillis: 10_000,
    },
  };
}
