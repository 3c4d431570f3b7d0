import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { startTestApp, type TestApp } from './app';
import { ADMIN_ENV, adminToken, api, tokenRequest } from './oauth';
import { GATEWAY_MAIN, spawnScript, waitForOk, type Spawned } from './process';

export interface Credentials {
  client_id: string;
  client_secret: string;
}

export interface ApiSetup {
  categories: string[];
  scopes: { name: string; claim_category?: string }[];
  /** Each served by the gateway's resource-server client. */
  apis: { identifier: string; name: string; scopes: string[] }[];
}

/**
 * Scopegate in process (real database and migrations), driven through its admin API as an operator
 * putting APIs behind the gateway would: claim categories, scopes, a resource-server client for the
 * gateway, the APIs it serves, and client applications with tokens for them (RFC 8707 `resource`).
 */
export class Scopegate {
  private constructor(
    readonly app: TestApp,
    private readonly admin: string,
  ) {}

  static async start(): Promise<Scopegate> {
    const app = await startTestApp({ ...ADMIN_ENV });
    return new Scopegate(app, await adminToken(app));
  }

  get url(): string {
    return this.app.url;
  }

  /** An admin API call. */
  call(path: string, init: Parameters<typeof api>[3] = {}): ReturnType<typeof api> {
    return api(this.app, path, this.admin, init);
  }

  /** Creates what `setup` lists; returns the gateway's resource-server client. */
  async setUpApis(setup: ApiSetup): Promise<Credentials> {
    for (const name of setup.categories) await this.created('/admin/claim-categories', { name });
    for (const scope of setup.scopes) await this.created('/admin/scopes', scope);
    const gateway = await this.client({ client_name: 'gateway', role: 'resource-server' });
    for (const a of setup.apis)
      await this.created('/admin/apis', { ...a, resource_server_clients: [gateway.client_id] });
    return gateway;
  }

  /** A client_credentials client; `body` names it and gives its scope (or role). */
  async client(body: Record<string, unknown>): Promise<Credentials> {
    return (await this.created('/admin/clients', {
      client_name: 'c',
      grant_types: ['client_credentials'],
      ...body,
    })) as Credentials;
  }

  /** An access token of client `c` for the API `resource` (none: a token for Scopegate itself). */
  async tokenFor(c: Credentials, resource: string | null, scope?: string): Promise<string> {
    const res = await tokenRequest(
      this.app,
      { grant_type: 'client_credentials', ...(resource ? { resource } : {}), ...(scope ? { scope } : {}) },
      { id: c.client_id, secret: c.client_secret },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.access_token as string;
  }

  stop(): Promise<void> {
    return this.app.stop();
  }

  private async created(path: string, body: Record<string, unknown>): Promise<unknown> {
    const res = await this.call(path, { method: 'POST', body });
    expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(201);
    return res.body;
  }
}

/** The gateway as its own process (`packages/gateway/dist/main.js`), started with a YAML file. */
export class GatewayProcess {
  private constructor(
    readonly proc: Spawned,
    readonly port: number,
  ) {}

  /**
   * Spawns the gateway with GATEWAY_CONFIG=`configFile` and `env`, and waits until /health/ready
   * answers 200 (its keys, revocation feed and claims catalog are loaded).
   */
  static async start(configFile: string, port: number, env: Record<string, string>): Promise<GatewayProcess> {
    const proc = spawnScript(GATEWAY_MAIN, { GATEWAY_CONFIG: configFile, LOG_LEVEL: 'info', ...env });
    const gateway = new GatewayProcess(proc, port);
    await waitForOk(`${gateway.url}/health/ready`, 30_000).catch(async (err: unknown) => {
      await gateway.stop();
      throw new Error(`${String(err)}\n${proc.stdout()}\n${proc.stderr()}`);
    });
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.proc.child.pid!;
  }

  /** Resident memory of the process (VmRSS of /proc/<pid>/status), in KiB. */
  rssKiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!match) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  /** The value of an unlabelled metric on the gateway's /metrics (NaN when absent). */
  async metric(name: string): Promise<number> {
    const { text } = await this.request('/metrics');
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.slice(name.length + 1));
  }

  signal(name: NodeJS.Signals): void {
    this.proc.child.kill(name);
  }

  /** SIGTERM, then waits for the exit (in-flight requests drain first). */
  async stop(): Promise<void> {
    if (this.proc.child.exitCode === null && this.proc.child.signalCode === null) this.signal('SIGTERM');
    await this.proc.exited;
  }

  /**
   * A request through the gateway with the bearer token (if any), its body read whole. `timeoutMs`
   * bounds the wait, so that a hanging gateway fails the test instead of stalling it.
   */
  async request(
    path: string,
    token?: string,
    headers: Record<string, string> = {},
    method = 'GET',
    timeoutMs = 15_000,
  ): Promise<GatewayResponse> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
  }
}

export interface GatewayResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
}

export const json = (r: { text: string }): any => JSON.parse(r.text);
