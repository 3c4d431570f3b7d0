import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './app';

const PGBIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of the test's own (fault tests stop and restart it): initdb in a temp dir, a
 * random port, a role `app` owning database `app`. Run as root, as CI does: initdb refuses root,
 * hence `su postgres`.
 */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://app:app@127.0.0.1:${this.port}/app`;
  }

  get superUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/app`;
  }

  static async start(settings: Record<string, string | number> = {}): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'scopegate-pg-'));
    chmodSync(dir, 0o700);
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    const pg = new OwnPostgres(dir, await freePort());
    pg.su(`${PGBIN}/initdb -D ${dir}/data -U postgres -A trust -E UTF8 --locale=C.UTF-8`);
    const opts = Object.entries({ listen_addresses: '127.0.0.1', ...settings })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    pg.options = `-p ${pg.port} -k ${dir} ${opts}`;
    pg.ctl('start');
    const c = new Client({ connectionString: `postgres://postgres@127.0.0.1:${pg.port}/postgres` });
    await c.connect();
    await c.query(`CREATE ROLE app LOGIN PASSWORD 'app'`);
    await c.query('CREATE DATABASE app OWNER app');
    await c.end();
    return pg;
  }

  private options = '';

  private su(cmd: string): void {
    execFileSync('su', ['postgres', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private ctlCommand(action: string, extra = ''): string {
    return `${PGBIN}/pg_ctl -D ${this.dir}/data -l ${this.dir}/server.log -w ${extra} -o '${this.options}' ${action}`;
  }

  private ctl(action: string, extra = ''): void {
    this.su(this.ctlCommand(action, extra));
  }

  /** pg_ctl without blocking the test's event loop (load keeps running meanwhile). */
  private async ctlAsync(action: string, extra = ''): Promise<void> {
    await promisify(execFile)('su', ['postgres', '-c', this.ctlCommand(action, extra)]);
  }

  /** `pg_ctl restart -m fast`: every session is terminated; the server is back when this resolves. */
  restart(): Promise<void> {
    return this.ctlAsync('restart', '-m fast');
  }

  /** `pg_ctl stop -m fast` (sessions terminated, as in a restart), then start again after `downMs`. */
  async restartAfter(downMs: number): Promise<void> {
    await this.ctlAsync('stop', '-m fast');
    await new Promise((r) => setTimeout(r, downMs));
    await this.ctlAsync('start');
  }

  async destroy(): Promise<void> {
    try {
      this.ctl('stop', '-m immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
