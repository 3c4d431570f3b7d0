import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Whether the application's pool can hand out a working connection within `timeoutMs`: the question
 * readiness asks. A ping on an idle pooled connection is not enough (when every connection slot of the
 * server is taken, pooled connections may still answer while new ones are refused), so this takes a
 * connection from the pool as a request would, and runs `SELECT 1` on it. Nothing is awaited past the
 * timeout: a connection that arrives late is handed back when it does.
 */
export async function poolAnswers(dataSource: DataSource, timeoutMs: number): Promise<boolean> {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!dataSource.isInitialized || !pool) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const attempt = (async () => {
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await client.query('SELECT 1');
      client.release();
      return true;
    } catch (err) {
      client?.release(err as Error); // a broken connection leaves the pool
      return false;
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
