import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { EmbeddedPostgres } from '../../src/platform/db/embedded-postgres';

/**
 * Without TEST_DATABASE_URL every e2e file gets its own embedded PostgreSQL. initdb is the slow part
 * (~4 s), so it runs once here and each file starts from a copy of the fresh cluster.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) return;
  const dir = join(tmpdir(), 'scopegate-test');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `pglite-template-${process.pid}.tar.gz`);
  if (!existsSync(file)) {
    const pg = await EmbeddedPostgres.start('memory://');
    const blob = await pg.dump();
    await pg.stop();
    writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  }
  project.provide('pgliteTemplate', file);
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate?: string;
  }
}
