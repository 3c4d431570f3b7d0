import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';

interface Cut {
  closedAfterMs: number | undefined;
  response: string;
}

/**
 * Opens a real socket, sends `head`, then trickles one byte every `everyMs` and reports when the
 * server closed the connection — or `undefined` when it was still open after `giveUpMs`.
 */
function trickle(url: string, head: string, everyMs: number, giveUpMs: number): Promise<Cut> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let response = '';
    const socket = connect(Number(port), hostname, () => socket.write(head));
    const drip = setInterval(() => socket.writable && socket.write('a'), everyMs);
    const finish = (closedAfterMs: number | undefined) => {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, response });
    };
    const giveUp = setTimeout(() => finish(undefined), giveUpMs);
    socket.on('data', (d: Buffer) => (response += d.toString()));
    socket.on('close', () => finish(Date.now() - started));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
  });
}

describe('slow clients are cut off (request and headers timeouts)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '1000' });
  });
  afterAll(() => app?.stop());

  it('a body trickled byte by byte is answered 408 and closed within the request timeout', async () => {
    const head =
      'POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n';
    const cut = await trickle(app.url, head, 200, 8000);
    expect(cut.closedAfterMs).toBeDefined();
    expect(cut.closedAfterMs!).toBeLessThan(2000 + 1500);
    expect(cut.response).toMatch(/^HTTP\/1\.1 408 /);
  }, 15_000);

  it('headers trickled byte by byte are closed within the headers timeout', async () => {
    const cut = await trickle(app.url, 'GET /health/live HTTP/1.1\r\nX-Slow: ', 200, 8000);
    expect(cut.closedAfterMs).toBeDefined();
    expect(cut.closedAfterMs!).toBeLessThan(1000 + 1500);
  }, 15_000);

  it('an ordinary request still succeeds', async () => {
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
  });
});
