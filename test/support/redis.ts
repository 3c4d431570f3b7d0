import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './app';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** A real redis-server on a loopback port, without persistence, for the tests that share state through it. */
export class RedisServer {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Starts a server on a free port (or the given one) and waits until it answers PING. */
  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(
      port ?? (await freePort()),
      mkdtempSync(join(tmpdir(), 'scopegate-redis-')),
    );
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** A client of this server (errors swallowed: a test stops the server on purpose). */
  client(): Redis {
    const redis = new Redis(this.url, { maxRetriesPerRequest: 50 });
    redis.on('error', () => undefined); // refused until the server listens; commands retry
    return redis;
  }

  /** (Re)starts the process on the same port, with an empty data set. */
  async restart(): Promise<void> {
    this.process = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    const probe = this.client();
    try {
      await probe.ping();
    } finally {
      probe.disconnect();
    }
  }

  /** Freezes the process (SIGSTOP): connections stay open and nothing answers. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** Stops the process and waits for it to exit (connections are refused from then on). */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the process and removes its directory. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
