import { Client } from 'pg';
import { ConfigError } from '../../config/env';

/**
 * Fails fast, in one line naming DATABASE_URL, when the database cannot be reached — before Nest
 * and TypeORM would print their retry noise and stack traces. The message never contains the URL
 * (it may hold a password).
 */
export async function probeDatabase(url: string, variable = 'DATABASE_URL'): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new ConfigError(variable, `cannot be reached: ${e.message || e.code || 'connection failed'}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
