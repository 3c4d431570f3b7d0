import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A plain HTTP proxy on a real port in front of Scopegate, for fault tests of what talks to it: it
 * counts the requests it forwards, and can refuse the revocation feed, stall it (keep the connection
 * open and pass nothing on), or stop listening altogether (connection refused).
 */
export class FaultProxy {
  /** Answer 503 to feed requests and end the open feed streams. */
  refuseFeed = false;
  /** Pass nothing more of any feed stream on (the connections stay open). */
  stallFeed = false;
  readonly requests: { method: string; path: string; at: number }[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly feeds = new Set<ServerResponse>();

  private constructor(
    readonly port: number,
    private readonly target: URL,
  ) {}

  static async start(port: number, target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(port, new URL(target));
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(method: string, path: string, since = 0): number {
    return this.requests.filter((r) => r.method === method && r.path === path && r.at >= since).length;
  }

  /** Ends every open feed stream (the client sees the connection drop). */
  dropFeeds(): void {
    for (const res of this.feeds) res.destroy();
    this.feeds.clear();
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.forward(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and cuts every connection: Scopegate is unreachable through this proxy. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((r) => server.close(r));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    this.requests.push({ method: req.method ?? 'GET', path, at: Date.now() });
    const feed = path === '/resource-server/feed';
    if (feed && this.refuseFeed) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
      return;
    }
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (feed) {
          this.feeds.add(res);
          res.on('close', () => {
            this.feeds.delete(res);
            up.destroy();
          });
          up.on('data', (chunk: Buffer) => {
            if (!this.stallFeed) res.write(chunk);
          });
          up.on('end', () => res.end());
        } else {
          up.pipe(res);
        }
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  async stop(): Promise<void> {
    this.dropFeeds();
    await this.down();
  }
}
