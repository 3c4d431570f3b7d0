import type { DataSourceOptions } from 'typeorm';

export interface DatabaseConnection {
  url: string;
  poolSize: number;
  /** Runs pending migrations when the DataSource initialises. */
  migrationsRun: boolean;
  /** The embedded PGlite: one process, one session, no LISTEN/NOTIFY across connections. */
  embedded: boolean;
}

export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/** What the schema is made of: every entity class and every migration, listed by the application. */
export interface Schema {
  entities: Function[];
  migrations: Function[];
}

/** The one set of TypeORM options, shared by the app and the migration CLI (`ormconfig.ts`). */
export function dataSourceOptions(conn: DatabaseConnection, schema: Schema): DataSourceOptions {
  return {
    type: 'postgres',
    url: conn.url,
    entities: schema.entities,
    migrations: schema.migrations,
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
