import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { DATABASE_CONNECTION, type DatabaseConnection } from './connection';

type Handler = (payload: string) => void;

/**
 * The listening connection is pinged this often; a ping unanswered after LIVENESS_TIMEOUT_MS means the
 * connection (or its backend) is stuck although the socket looks open: it is treated as lost at once,
 * so that state derived from notifications is no longer trusted (revocation asks the database).
 */
const LIVENESS_INTERVAL_MS = 1000;
const LIVENESS_TIMEOUT_MS = 2000;

/**
 * One dedicated connection LISTENing on PostgreSQL channels, shared by every subscriber. When the
 * connection drops it reconnects with back-off and tells subscribers (`onReconnect`) so they can
 * catch up on what they may have missed. On the embedded database (one process, one backend session)
 * there is nobody else to hear from, so nothing is opened and `connected` stays false.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationsService.name);
  private readonly handlers = new Map<string, Handler[]>();
  private readonly reconnectHandlers: (() => Promise<void>)[] = [];
  private readonly disconnectHandlers = new Set<() => void>();
  private client: Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private _connected = false;

  constructor(@Inject(DATABASE_CONNECTION) private readonly conn: DatabaseConnection) {}

  /** True while notifications are being received: state derived from them is current. */
  get connected(): boolean {
    return this._connected;
  }

  get enabled(): boolean {
    return !this.conn.embedded;
  }

  on(channel: string, handler: Handler): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  /** Called after every (re)connection, once LISTEN is in place: reload state that may have changed. */
  onReconnect(handler: () => Promise<void>): void {
    this.reconnectHandlers.push(handler);
  }

  /** Called when the connection is lost: state derived from notifications may go stale from now on. */
  onDisconnect(handler: () => void): () => void {
    this.disconnectHandlers.add(handler);
    return () => this.disconnectHandlers.delete(handler);
  }

  async onModuleInit(): Promise<void> {
    if (this.enabled) await this.connect(true);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(first: boolean): Promise<void> {
    const client = new Client({
      connectionString: this.conn.url,
      application_name: `scopegate-listener-${process.pid}`,
    });
    client.on('notification', (n) => {
      for (const h of this.handlers.get(n.channel) ?? []) h(n.payload ?? '');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
      this.client = client;
      // Only once the catch-up has run is state derived from notifications current again: until then
      // subscribers keep treating themselves as disconnected (e.g. revocation asks the database).
      if (!first) {
        for (const h of this.reconnectHandlers) await h();
        this.logger.log('notification connection restored; state reloaded');
      }
      this._connected = true;
      this.watch(client);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (first) throw err;
      this.lost(client, err as Error);
    }
  }

  /** Liveness: a stuck connection (a frozen backend, a half-open socket) counts as lost. */
  private watch(client: Client): void {
    clearInterval(this.pingTimer);
    let pending = false;
    this.pingTimer = setInterval(() => {
      if (pending) return;
      pending = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${LIVENESS_TIMEOUT_MS} ms`)),
          LIVENESS_TIMEOUT_MS,
        );
      });
      Promise.race([client.query('SELECT 1'), timeout])
        .catch((err: Error) => {
          this.lost(client, err);
          destroySocket(client);
        })
        .finally(() => {
          clearTimeout(timer);
          pending = false;
        });
    }, LIVENESS_INTERVAL_MS);
    this.pingTimer.unref();
  }

  private lost(client: Client, err: Error): void {
    if (this.stopped || (this.client && this.client !== client)) return;
    clearInterval(this.pingTimer);
    const was = this._connected;
    if (was) this.logger.warn(`notification connection lost: ${err.message}; reconnecting`);
    this._connected = false;
    if (was) for (const h of this.disconnectHandlers) h();
    this.client = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(false), 250);
  }
}

/** The socket under a pg Client: ended from our side when the server does not answer any more. */
function destroySocket(client: Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
