/** One Server-Sent Event (WHATWG HTML §9.2 event stream format). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** A client of an event stream over fetch, with the events parsed and awaitable one by one. */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: Headers | undefined;
  ended = false;
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();

  static async connect(url: string, headers: Record<string, string>): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: client.abort.signal,
    });
    client.status = res.status;
    client.headers = res.headers;
    if (res.status !== 200 || !res.body) {
      client.ended = true;
      return client;
    }
    void client.read(res.body);
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e: SseEvent = { event: 'message', data: '' };
          let hasData = false;
          for (const line of block.split('\n')) {
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'event') e.event = value;
            else if (field === 'data') {
              e.data += (hasData ? '\n' : '') + value;
              hasData = true;
            } else if (field === 'id') e.id = value;
          }
          if (hasData) this.events.push(e);
        }
        this.wake();
      }
    } catch {
      // aborted or reset
    }
    this.ended = true;
    this.wake();
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** The first event (from index `from`) matching, waiting up to `timeoutMs`. */
  async next(match: (e: SseEvent) => boolean, { from = 0, timeoutMs = 5000 } = {}): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended; events: ${this.events.map((e) => e.event).join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching event in ${timeoutMs} ms; events: ${this.events.map((e) => e.event).join(',')}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Every jti in the `revoked` events received so far. */
  revokedJtis(): string[] {
    return this.events
      .filter((e) => e.event === 'revoked')
      .flatMap((e) => (JSON.parse(e.data) as { tokens: { jti: string }[] }).tokens.map((t) => t.jti));
  }

  close(): void {
    this.abort.abort();
  }
}
