import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/app';
import { GatewayProcess, json, Scopegate, type Credentials } from '../support/gateway';
import { GATEWAY_MAIN, spawnScript, waitForOk } from '../support/process';

const ORDERS = 'https://orders.example';
const BILLING = 'https://billing.example';
const METRICS_TOKEN = 'gateway-metrics-token-'.padEnd(40, 'm');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The order as the upstream writes it: numbers whose lexemes JSON.parse would not keep. */
const ORDER_JSON =
  '{"id":"o-1","total_price":12345678901234567890,"items":[{"sku":"A","unit_price":0.10000000000000000555},' +
  '{"sku":"B","unit_price":1E+400}],"customer":{"name":"Ada","iban":"DE89 3704"},"note":"caf\\u00e9 \\ud83d\\ude00"}';
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)),
]);

/** A Node upstream on a real port: fixed answers per path, and a log of what it received. */
function startUpstream(
  port: number,
): Promise<{ server: Server; seen: { path: string; headers: IncomingHttpHeaders; method: string }[] }> {
  const seen: { path: string; headers: IncomingHttpHeaders; method: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers, method: req.method ?? '' });
    const path = (req.url ?? '').split('?')[0];
    if (path === '/orders/o-1')
      return void res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(ORDER_JSON),
          etag: '"v1"',
        })
        .end(ORDER_JSON);
    if (path === '/orders/list')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`[${ORDER_JSON},${ORDER_JSON}]`);
    if (path === '/orders/gz')
      return void res
        .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
        .end(gzipSync(Buffer.from(`\ufeff${ORDER_JSON}`)));
    if (path === '/orders/br')
      return void res
        .writeHead(200, {
          'content-type': 'application/vnd.orders+json; charset=utf-8',
          'content-encoding': 'br',
        })
        .end(brotliCompressSync(Buffer.from(ORDER_JSON)));
    if (path === '/orders/bomb')
      return void res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        .end(gzipSync(Buffer.alloc(20 << 20, 0x20)));
    if (path === '/orders/weird')
      return void res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'compress' })
        .end('xx');
    if (path === '/orders/partial')
      return void res
        .writeHead(206, { 'content-type': 'application/json', 'content-range': 'bytes 0-9/100' })
        .end('{"total_pr');
    if (path === '/orders/dup-type') {
      // The same header twice: Node's HTTP client hands it over as a list.
      res.setHeader('content-type', ['application/json', 'application/json']);
      return void res.writeHead(200).end(ORDER_JSON);
    }
    if (path === '/orders/dup-coding') {
      res.setHeader('content-encoding', ['identity', 'gzip']);
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(gzipSync(ORDER_JSON));
    }
    if (path === '/orders/busy')
      return void res
        .writeHead(503, { 'content-type': 'application/json', 'retry-after': '400' })
        .end('{"error":"busy","total_price":1}');
    if (path === '/orders/doc.pdf')
      return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF);
    if (path === '/files/doc.pdf') {
      // A file server that lets shared caches keep its files.
      res.setHeader('cache-control', 'public, max-age=60, s-maxage=600');
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (!range)
        return void res
          .writeHead(200, { 'content-type': 'application/pdf', 'accept-ranges': 'bytes' })
          .end(PDF);
      const [from, to] = [Number(range[1]), Number(range[2])];
      return void res
        .writeHead(206, {
          'content-type': 'application/pdf',
          'content-range': `bytes ${from}-${to}/${PDF.length}`,
        })
        .end(PDF.subarray(from, to + 1));
    }
    if (path.startsWith('/echo')) {
      const body: Buffer[] = [];
      req.on('data', (chunk: Buffer) => body.push(chunk));
      return void req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            path: req.url,
            method: req.method,
            headers: req.headers,
            trailers: req.trailers,
            body: Buffer.concat(body).toString(),
          }),
        ),
      );
    }
    if (path === '/slowjson') {
      // Headers at once, then the body a byte at a time, each well within the route's timeout.
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"total_price":1,"id":');
      let left = 12;
      const timer = setInterval(() => {
        if (--left > 0) return void res.write(' ');
        clearInterval(timer);
        res.end('"x"}');
      }, 250);
      return void res.on('close', () => clearInterval(timer));
    }
    if (path === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 3000);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"upstream 404"}');
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, seen })));
}

/** A raw HTTP/1.1 exchange (for what fetch will not send: smuggling, upgrades, odd paths). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', () => resolve(out));
    setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, 2000);
  });
}

describe('gateway mode: any HTTP API behind Scopegate (separate processes)', () => {
  let sg: Scopegate;
  let rs: Credentials;
  let reader: Credentials;
  let pricer: Credentials;
  let banker: Credentials;
  let billingClient: Credentials;
  let pricingOnly: Credentials;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let python: ChildProcess;
  let gateway: GatewayProcess;
  let gwPort: number;
  let dir: string;
  let configFile: string;
  let config: (extra?: string) => string;

  const call = (path: string, init: Parameters<Scopegate['call']>[1] = {}) => sg.call(path, init);
  const tokenFor = (c: Credentials, resource: string | null = ORDERS, scope?: string) =>
    sg.tokenFor(c, resource, scope);
  const get = (path: string, token?: string, headers: Record<string, string> = {}, method = 'GET') =>
    gateway.request(path, token, headers, method);

  beforeAll(async () => {
    sg = await Scopegate.start();
    rs = await sg.setUpApis({
      categories: ['pricing', 'banking'],
      scopes: [
        { name: 'orders:read' },
        { name: 'orders:pricing', claim_category: 'pricing' },
        { name: 'orders:banking', claim_category: 'banking' },
        { name: 'billing:read' },
      ],
      apis: [
        { identifier: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:pricing', 'orders:banking'] },
        { identifier: BILLING, name: 'Billing', scopes: ['billing:read'] },
      ],
    });
    reader = await sg.client({ client_name: 'reader', scope: 'orders:read' });
    pricer = await sg.client({ client_name: 'pricer', scope: 'orders:read orders:pricing' });
    banker = await sg.client({ client_name: 'banker', scope: 'orders:read orders:pricing orders:banking' });
    billingClient = await sg.client({ client_name: 'billing', scope: 'billing:read' });
    pricingOnly = await sg.client({ client_name: 'pricing only', scope: 'orders:pricing' });

    const upPort = await freePort();
    upstream = await startUpstream(upPort);
    const pyPort = await freePort();
    python = spawn('python3', ['-m', 'http.server', String(pyPort), '--bind', '127.0.0.1'], {
      cwd: join(__dirname, '..', 'fixtures', 'python-upstream'),
      stdio: 'ignore',
    });
    await waitForOk(`http://127.0.0.1:${pyPort}/py/orders.json`, 15_000);
    const downPort = await freePort();

    dir = mkdtempSync(join(tmpdir(), 'scopegate-gateway-'));
    gwPort = await freePort();
    configFile = join(dir, 'gateway.yaml');
    const up = `http://127.0.0.1:${upPort}`;
    config = (extra = '') => `
listen: { host: 127.0.0.1, port: ${gwPort} }
issuer: ${sg.url}
client: { id: ${rs.client_id}, secret: "\${GW_CLIENT_SECRET}" }
max_body_bytes: 1mb
routes:
  - name: orders
    match: { path: /orders/*, methods: [GET, HEAD, POST] }
    upstream: ${up}
    audience: ${ORDERS}
    scopes: [orders:read]
    claims: { total_price: pricing, "items[].unit_price": pricing, customer.iban: banking }
  - name: echo
    match: { path: /echo/*, methods: [GET, POST] }
    upstream: ${up}
    audience: ${ORDERS}
    scopes_any: [orders:read, orders:banking]
  - name: echo-token
    match: { path: /echo-token }
    upstream: ${up}/echo
    audience: ${ORDERS}
    forward_token: true
  - name: billing
    match: { path: /billing/* }
    upstream: ${up}/echo
    audience: ${BILLING}
    scopes: [billing:read]
  - name: limited
    match: { path: /limited/* }
    upstream: ${up}/echo
    audience: ${ORDERS}
    rate_limit: { per_client: 3, window: 2s }
  - name: slow
    match: { path: /slow }
    upstream: ${up}
    audience: ${ORDERS}
    timeout: 500ms
  - name: slowjson
    match: { path: /slowjson }
    upstream: ${up}
    audience: ${ORDERS}
    claims: { total_price: pricing }
    timeout: 600ms
  - name: down
    match: { path: /down/* }
    upstream: http://127.0.0.1:${downPort}
    audience: ${ORDERS}
  - name: python
    match: { path: /py/* }
    upstream: http://127.0.0.1:${pyPort}
    audience: ${ORDERS}
    claims: { total_price: pricing, "items[].unit_price": pricing }
  - name: files
    match: { path: /files/* }
    upstream: ${up}
    audience: ${ORDERS}
  - name: status
    match: { path: /status }
    upstream: ${up}/echo
    public: true
${extra}`;
    writeFileSync(configFile, config());
    gateway = await GatewayProcess.start(configFile, gwPort, {
      GW_CLIENT_SECRET: rs.client_secret,
      METRICS_TOKEN,
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    python?.kill('SIGTERM');
    upstream?.server.closeAllConnections();
    upstream?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await sg?.stop();
  });

  it('refuses without a token, with a bad one or one for another audience (RFC 6750), 403 without the scope', async () => {
    const none = await get('/orders/o-1');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="scopegate"');
    expect(json(none)).toMatchObject({ error: 'invalid_token' });
    expect((await get('/orders/o-1', 'garbage')).status).toBe(401);
    const own = await get('/orders/o-1', await tokenFor(reader, null));
    expect(own.status).toBe(401);
    expect(json(own).error_description).toBe('The access token is not meant for this resource');
    const billing = await tokenFor(billingClient, BILLING);
    expect((await get('/orders/o-1', billing)).status).toBe(401);
    expect((await get('/billing/x', billing)).status).toBe(200);
    const denied = await get('/billing/x', await tokenFor(pricer));
    expect(denied.status).toBe(401); // a token for the orders API at the billing route
  });

  it('403 insufficient_scope names the scopes required: all of `scopes`, one of `scopes_any` (RFC 6750 §3.1)', async () => {
    const token = await tokenFor(pricingOnly);
    const before = upstream.seen.length;
    const all = await get('/orders/o-1', token);
    expect(all.status).toBe(403);
    expect(json(all).error).toBe('insufficient_scope');
    expect(all.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(all.headers.get('www-authenticate')).toContain('scope="orders:read"');
    const any = await get('/echo/x', token);
    expect(any.status).toBe(403);
    expect(json(any)).toEqual({
      error: 'insufficient_scope',
      error_description: 'This request requires one of the scopes orders:read orders:banking',
    });
    expect(any.headers.get('www-authenticate')).toContain('scope="orders:read orders:banking"');
    expect(upstream.seen.length).toBe(before); // neither reached the upstream
  });

  it('filters JSON fields by the token’s scopes, keeping every other byte (numbers’ exact lexemes)', async () => {
    const read = await get('/orders/o-1', await tokenFor(reader));
    expect(read.status).toBe(200);
    expect(read.text).toBe(
      '{"id":"o-1","items":[{"sku":"A"},{"sku":"B"}],"customer":{"name":"Ada"},"note":"caf\\u00e9 \\ud83d\\ude00"}',
    );
    expect(read.headers.get('cache-control')).toContain('private');
    expect(read.headers.get('vary')).toMatch(/authorization/i);
    expect(read.headers.get('etag')).toBeNull();
    expect(Number(read.headers.get('content-length'))).toBe(read.bytes.length);
    const priced = await get('/orders/o-1', await tokenFor(pricer));
    expect(priced.text).toContain('"total_price":12345678901234567890');
    expect(priced.text).toContain('"unit_price":0.10000000000000000555');
    expect(priced.text).toContain('"unit_price":1E+400');
    expect(priced.text).not.toContain('iban');
    const all = await get('/orders/o-1', await tokenFor(banker));
    expect(all.text).toBe(ORDER_JSON);
    const list = await get('/orders/list', await tokenFor(reader));
    expect(json(list)).toHaveLength(2);
    expect(list.text).not.toContain('total_price');
  });

  it('filters gzip and br bodies whatever their declared type; refuses bombs, unknown codings and partial content', async () => {
    const token = await tokenFor(reader);
    const gz = await get('/orders/gz', token, { 'accept-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('content-encoding')).toBeNull();
    expect(gz.text).not.toContain('total_price');
    expect(gz.text).toContain('"sku":"A"');
    const br = await get('/orders/br', token);
    expect(br.text).not.toContain('unit_price');
    for (const path of ['/orders/bomb', '/orders/weird', '/orders/partial']) {
      const r = await get(path, token);
      expect(r.status, path).toBe(502);
      expect(json(r).error).toBe('bad_gateway');
      expect(r.text).not.toContain('total_pr');
    }
    // Range and conditional headers never reach the upstream of a filtered route.
    const before = upstream.seen.length;
    const ranged = await get('/orders/o-1', token, { range: 'bytes=0-20', 'if-none-match': '"v1"' });
    expect(ranged.status).toBe(200);
    expect(ranged.text).not.toContain('total_price');
    const sent = upstream.seen.slice(before)[0].headers;
    expect(sent.range).toBeUndefined();
    expect(sent['if-none-match']).toBeUndefined();
  });

  it('filters a response whose Content-Type or Content-Encoding comes twice, and keeps running', async () => {
    const token = await tokenFor(reader);
    for (const path of ['/orders/dup-type', '/orders/dup-coding']) {
      const r = await get(path, token);
      expect([200, 502], path).toContain(r.status);
      expect(r.text, path).not.toContain('total_price');
    }
    expect((await get('/orders/o-1', token)).status).toBe(200); // the process is still up
  });

  it('passes an upstream 503 on once, filtered: no retries of its own, whatever Retry-After says', async () => {
    const token = await tokenFor(reader);
    const before = upstream.seen.length;
    const started = Date.now();
    const r = await get('/orders/busy', token);
    expect(r.status).toBe(503);
    expect(json(r)).toEqual({ error: 'busy' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(upstream.seen.slice(before).filter((s) => s.path === '/orders/busy')).toHaveLength(1);
  });

  it('a HEAD on a filtered route answers like the GET, without the unfiltered body’s length or tags', async () => {
    const token = await tokenFor(reader);
    const res = await raw(
      gwPort,
      `HEAD /orders/o-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    const filteredLength = (await get('/orders/o-1', token)).bytes.length;
    const length = /\r\ncontent-length: (\d+)\r\n/i.exec(res)?.[1];
    if (length !== undefined) expect(Number(length)).toBe(filteredLength);
    expect(res).not.toContain(`: ${Buffer.byteLength(ORDER_JSON)}\r\n`);
    expect(res.toLowerCase()).not.toContain('etag');
    expect(res).toMatch(/\r\ncache-control: private\r\n/i);
    expect(res.split('\r\n\r\n')[1]).toBe('');
  });

  it('passes Range requests of a route without claims through (206 with Content-Range), never to shared caches', async () => {
    const token = await tokenFor(reader);
    const part = await get('/files/doc.pdf', token, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${PDF.length}`);
    expect(part.bytes.equals(PDF.subarray(100, 200))).toBe(true);
    // The upstream's `public` and `s-maxage` speak to shared caches; behind a token they do not hold.
    expect(part.headers.get('cache-control')).toBe('private, max-age=60');
    expect(part.headers.get('vary')).toMatch(/authorization/i);
    const whole = await get('/files/doc.pdf', token);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.bytes.equals(PDF)).toBe(true);
  });

  it('passes non-JSON bodies through byte for byte', async () => {
    const pdf = await get('/orders/doc.pdf', await tokenFor(reader));
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.bytes.equals(PDF)).toBe(true);
  });

  it('a non-Node upstream (Python http.server serving JSON files) gets the same filtering', async () => {
    const read = await get('/py/orders.json', await tokenFor(reader));
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toEqual({ id: 'py-1', items: [{ sku: 'A' }], note: 'served by Python' });
    const priced = await get('/py/orders.json', await tokenFor(pricer));
    expect(priced.text).toContain('98765432109876543210');
  });

  it('sends the verified identity upstream and strips every forged one, and the token unless forwarded', async () => {
    const token = await tokenFor(pricer);
    const r = await raw(
      gwPort,
      `GET /echo/x?q=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        'X-Scopegate-Subject: admin\r\nx-scopegate-scope: everything\r\nX-Original-URL: /admin\r\n' +
        'X-HTTP-Method-Override: DELETE\r\nx-request-id: caller-id\r\n' +
        // Connection may not name the gateway's own headers away.
        'Connection: close, x-scopegate-subject, x-request-id, x-scopegate-scope\r\n\r\n',
    );
    expect(r).toMatch(/^HTTP\/1\.1 200/);
    const seen = JSON.parse(r.slice(r.indexOf('{'), r.lastIndexOf('}') + 1));
    expect(seen.path).toBe('/echo/x?q=1');
    expect(seen.headers['x-scopegate-subject']).toBe(pricer.client_id);
    expect(seen.headers['x-scopegate-client-id']).toBe(pricer.client_id);
    expect(seen.headers['x-scopegate-scope']).toBe('orders:pricing orders:read');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-original-url']).toBeUndefined();
    expect(seen.headers['x-http-method-override']).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
    const underscore = await raw(
      gwPort,
      `GET /echo/u HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX_Scopegate_Subject: evil\r\nConnection: close\r\n\r\n`,
    );
    expect(underscore).toContain('200 OK');
    expect(underscore).not.toContain('evil');
    const forwarded = json(await get('/echo-token', token));
    expect(forwarded.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('strips X-Scopegate-* in any spelling and in request trailers', async () => {
    const token = await tokenFor(reader);
    const spellings = [
      'X-SCOPEGATE-SUBJECT: evil-1',
      'x-ScopeGate-Client-Id: evil-2',
      'X_Scopegate-Scope: evil-3',
      'x-scopegate_subject: evil-4',
      'X-Scopegate-Anything: evil-5',
    ];
    const body = 'hello';
    const res = await raw(
      gwPort,
      `POST /echo/t HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${spellings.join('\r\n')}\r\n` +
        'Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Scopegate-Subject, X-Scopegate-Scope\r\n' +
        `Connection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n` +
        'X-Scopegate-Subject: evil-6\r\nx_scopegate_scope: evil-7\r\n\r\n',
    );
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    const seen = JSON.parse(res.slice(res.indexOf('{'), res.lastIndexOf('}') + 1));
    expect(seen.body).toBe(body);
    expect(res).not.toContain('evil');
    expect(seen.headers['x-scopegate-subject']).toBe(reader.client_id);
    expect(seen.headers['x-scopegate-scope']).toBe('orders:read');
    expect(Object.keys(seen.headers).filter((h) => /scopegate/i.test(h))).toEqual([
      'x-scopegate-subject',
      'x-scopegate-client-id',
      'x-scopegate-scope',
    ]);
  });

  it('normalises paths before matching, never forwards outside the route, refuses unlisted methods', async () => {
    const token = await tokenFor(reader);
    const seenBefore = upstream.seen.length;
    expect((await get('/orders/../echo/x', token)).status).toBe(200); // fetch resolves dot segments itself
    for (const path of ['/orders/%2e%2e/echo/x', '/orders/..%2Fecho', '/orders/%2F..%2F', '/orders/a%00b']) {
      const res = await raw(
        gwPort,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      );
      expect(res, path).toMatch(/^HTTP\/1\.1 (400|200)/);
      if (res.startsWith('HTTP/1.1 200')) expect(res, path).toContain('"path":"/echo/x"');
    }
    expect(
      (
        await raw(
          gwPort,
          `GET //orders//o-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        )
      ).startsWith('HTTP/1.1 200'),
    ).toBe(true);
    const del = await get('/orders/o-1', token, {}, 'DELETE');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await get('/nowhere', token)).status).toBe(404);
    const forwardedPaths = upstream.seen.slice(seenBefore).map((s) => s.path);
    expect(forwardedPaths.every((p) => p.startsWith('/orders/') || p.startsWith('/echo/'))).toBe(true);
    expect(upstream.seen.slice(seenBefore).some((s) => s.method === 'DELETE')).toBe(false);
  });

  it('answers Expect: 100-continue itself, and refuses a request body over max_body_bytes with 413', async () => {
    const token = await tokenFor(reader);
    const before = upstream.seen.length;
    const continued = await raw(
      gwPort,
      `POST /echo/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n{}',
    );
    expect(continued).toMatch(/HTTP\/1\.1 200/);
    expect(upstream.seen.at(-1)!.headers.expect).toBeUndefined();
    const big = await raw(
      gwPort,
      `POST /echo/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${2 << 20}\r\nConnection: close\r\n\r\n{`,
    );
    expect(big).toMatch(/^HTTP\/1\.1 413/);
    expect(big).toContain('"error":"invalid_request"');
    expect(upstream.seen.length).toBe(before + 1); // only the first reached the upstream
    // Without a declared length, the body is cut off where it passes the limit: 413 too.
    const chunk = 'x'.repeat(1536 << 10);
    const chunked = await raw(
      gwPort,
      `POST /echo/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/plain\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(chunked).toContain('"error":"invalid_request"');
  });

  it('refuses request smuggling and protocol upgrades', async () => {
    const token = await tokenFor(reader);
    const smuggled = await raw(
      gwPort,
      `POST /echo/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(smuggled).toMatch(/^HTTP\/1\.1 400/);
    const upgrade = await raw(
      gwPort,
      `GET /echo/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    );
    expect(upgrade).not.toMatch(/^HTTP\/1\.1 101/);
  });

  it('rate-limits per client (429 with Retry-After), not per token', async () => {
    const a = await tokenFor(reader);
    const b = await tokenFor(reader);
    const statuses = [];
    for (const t of [a, b, a, b, a]) statuses.push((await get('/limited/x', t)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await get('/limited/x', a);
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect((await get('/limited/x', await tokenFor(pricer))).status).toBe(200); // another client
  });

  it('answers 502 for an unreachable upstream and 504 for a slow one, as JSON, without hanging', async () => {
    const token = await tokenFor(reader);
    const down = await get('/down/x', token);
    expect(down.status).toBe(502);
    expect(json(down)).toMatchObject({ error: 'bad_gateway' });
    const started = Date.now();
    const slow = await get('/slow', token);
    expect(slow.status).toBe(504);
    expect(json(slow)).toMatchObject({ error: 'upstream_timeout' });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('answers 504 when a filtered body is still arriving at the route’s timeout, however steadily it trickles', async () => {
    const started = Date.now();
    const r = await get('/slowjson', await tokenFor(reader));
    expect(r.status).toBe(504);
    expect(json(r).error).toBe('upstream_timeout');
    expect(r.text).not.toContain('total_price');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('sees a revocation within 1 s', async () => {
    const token = await tokenFor(pricer);
    expect((await get('/orders/o-1', token)).status).toBe(200);
    const revokedAt = Date.now();
    const res = await fetch(`${sg.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${pricer.client_id}:${pricer.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    expect(res.status).toBe(200);
    while ((await get('/orders/o-1', token)).status !== 401) {
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      await sleep(10);
    }
    console.log(`revocation reached the gateway ${Date.now() - revokedAt} ms after the revoke request`);
  });

  it('reports usage to the audit log as api.call with the route name and audience', async () => {
    const token = await tokenFor(reader);
    const { jti } = decodeJwt(token);
    expect((await get('/orders/o-1', token)).status).toBe(200);
    let events: Record<string, any>[] = [];
    for (let i = 0; i < 50 && events.length < 1; i++) {
      await sleep(200);
      events = (await call(`/admin/audit?jti=${jti}&type=api.call`)).body.data;
    }
    expect(events[0]).toMatchObject({
      type: 'api.call',
      outcome: 'success',
      details: {
        route: 'orders',
        audience: ORDERS,
        reported_by: rs.client_id,
        path: '/orders/*',
        status: 200,
      },
    });
  });

  it('serves /metrics (behind METRICS_TOKEN) and /health/ready; a public route needs no token', async () => {
    expect((await get('/status')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'not-the-token')).status).toBe(401);
    const metrics = await get('/metrics', METRICS_TOKEN);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('scopegate_gateway_requests_total{route="orders"');
    expect(metrics.text).toContain('scopegate_gateway_upstream_seconds_bucket');
    expect(metrics.text).toMatch(/^scopegate_gateway_usage_reports_pending \d+$/m);
    expect(metrics.text).toMatch(/^scopegate_gateway_usage_reports_delivered_total [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^scopegate_gateway_usage_reports_dropped_total 0$/m);
    const ready = json(await get('/health/ready'));
    expect(ready).toMatchObject({ status: 'ok', keys: true, feed: true, catalog: true });
  });

  it('reloads its routes on SIGHUP, and keeps the running ones when the new file is invalid', async () => {
    const token = await tokenFor(reader);
    expect((await get('/extra/x', token)).status).toBe(404);
    writeFileSync(
      configFile,
      config(`  - name: extra
    match: { path: /extra/* }
    upstream: ${new URL(`http://127.0.0.1:${(upstream.server.address() as { port: number }).port}`).origin}/echo
    audience: ${ORDERS}
`),
    );
    gateway.signal('SIGHUP');
    for (let i = 0; i < 50 && (await get('/extra/x', token)).status !== 200; i++) await sleep(100);
    expect((await get('/extra/x', token)).status).toBe(200);
    writeFileSync(configFile, config('  - name: broken\n    match: { path: nope }\n    upstream: ftp://x\n'));
    gateway.signal('SIGHUP');
    await sleep(500);
    expect((await get('/extra/x', token)).status).toBe(200);
    expect(gateway.proc.stderr()).toContain('SIGHUP: the new configuration was refused');
    expect(gateway.proc.stderr()).toContain('routes[11].upstream');
  });
});

describe('gateway configuration errors', () => {
  it('exits non-zero and names the offending path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scopegate-gateway-bad-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(
      file,
      'issuer: http://127.0.0.1:1\nclient: { id: a, secret: b }\nroutes:\n  - name: x\n    match: { path: /x }\n    upstream: ftp://nope\n    audience: https://x.example\n',
    );
    const proc = spawnScript(GATEWAY_MAIN, { GATEWAY_CONFIG: file });
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toContain('routes[0].upstream');
    const missing = spawnScript(GATEWAY_MAIN, {});
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('GATEWAY_CONFIG');
    rmSync(dir, { recursive: true, force: true });
  });
});
