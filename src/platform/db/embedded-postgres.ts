import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Zero-setup mode: PGlite (PostgreSQL compiled to WASM) persisted in a directory and served on a
 * loopback port through pglite-socket, so the app reaches it with the ordinary `pg` driver and there
 * is one query path for embedded and server databases.
 *
 * PGlite is one backend session behind a queue. A transaction holds that session until it ends,
 * so the application pool is one connection (see `poolSize`): nothing can interleave the extended
 * protocol messages of two connections, and a query can never wait on a transaction that waits on it.
 */
export class EmbeddedPostgres {
  /** Connections the application may open: the pool plus the migration CLI and a listener. */
  static readonly maxConnections = 4;
  static readonly poolSize = 1;

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  /**
   * @param dataDir a directory (created when missing), or `memory://` for a throw-away database
   * @param loadDataDir a tarball of a data directory to start from (tests use it to skip initdb)
   */
  static async start(dataDir: string, loadDataDir?: Blob): Promise<EmbeddedPostgres> {
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {});
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: EmbeddedPostgres.maxConnections,
    });
    await server.start();
    const conn = server.getServerConn(); // "127.0.0.1:<port>"
    return new EmbeddedPostgres(db, server, `postgres://postgres:postgres@${conn}/postgres`);
  }

  /** Snapshot of the data directory (used to seed fresh test databases quickly). */
  dump(): Promise<Blob> {
    return this.db.dumpDataDir('gzip') as Promise<Blob>;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
