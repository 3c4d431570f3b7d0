import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/load-config';
import { dataSourceOptions } from './src/platform/db/connection';
import { SCHEMA } from './src/database/schema';
import { EmbeddedPostgres } from './src/platform/db/embedded-postgres';
import { join } from 'node:path';

/**
 * The DataSource of the TypeORM migration CLI (`npm run migration:run|revert|generate`).
 * With DATABASE_URL it uses that server; without it, it opens the embedded database in DATA_DIR
 * (stop the server first: PGlite allows one process per data directory).
 */
async function createDataSource(): Promise<DataSource> {
  const config = loadConfig();
  const url = config.DATABASE_URL ?? (await EmbeddedPostgres.start(join(config.DATA_DIR, 'pgdata'))).url;
  return new DataSource(
    dataSourceOptions({ url, poolSize: 1, migrationsRun: false, embedded: !config.DATABASE_URL }, SCHEMA),
  );
}

export const dataSource = createDataSource();
