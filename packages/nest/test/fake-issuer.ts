import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/**
 * A stand-in authorization server on a real loopback port for the package's client-side specs: it
 * serves metadata and client-credentials tokens, and each spec adds the routes it exercises (the feed,
 * the JWKS, usage). The real server is exercised end to end in the repository's e2e tests.
 */
export class FakeIssuer {
  readonly requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[] =
    [];
  private readonly routes = new Map<string, Handler>();
  private server!: Server;
  url = '';

  static async start(): Promise<FakeIssuer> {
    const issuer = new FakeIssuer();
    issuer.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0];
        issuer.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
        const handler = issuer.routes.get(`${req.method} ${path}`);
        if (handler) handler(req, res, body);
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => issuer.server.listen(0, '127.0.0.1', r));
    issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
    issuer.on('GET', '/.well-known/oauth-authorization-server', (_req, res) =>
      json(res, 200, {
        issuer: issuer.url,
        jwks_uri: `${issuer.url}/jwks`,
        token_endpoint: `${issuer.url}/oauth/token`,
        introspection_endpoint: `${issuer.url}/oauth/introspect`,
      }),
    );
    issuer.on('POST', '/oauth/token', (_req, res) =>
      json(res, 200, { access_token: `rs-token-${issuer.count('POST', '/oauth/token')}`, expires_in: 300 }),
    );
    return issuer;
  }

  on(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  get conn() {
    return { issuer: this.url, clientId: 'rs', clientSecret: 'rs-secret', requestTimeoutMs: 2000 };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a condition (specs of background behaviour); fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await sleep(10);
  }
}
