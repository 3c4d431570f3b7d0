// npm run bench — Scopegate side by side with its peers, in one run, on this machine.
//
//   client_credentials issuance (token record + audit event committed)  vs  oidc-provider (ES256 JWT, in-memory)
//   introspection                                                        vs  oidc-provider (opaque, in-memory)
//   GET /customers/:id (JWT verify, revocation check, scope guard,
//     claims filtering, usage audit event)                               vs  bare Fastify, same SQL, same JSON
//   examples/orders-api GET /orders/:id (@scopegate/nest: JWKS verify,
//     revocation feed, scope guard, claims filtering, usage batches)     vs  bare Fastify, same JSON
//   gateway GET /orders/:id (packages/gateway: token verification,
//     revocation feed, scope check, JSON field filtering, usage)         vs  bare @fastify/http-proxy, no
//                                                                            auth, same upstream; and the
//                                                                            p50 the gateway adds (1 connection)
//
// Each server is pinned to core 0 (taskset), the load generator (autocannon, 50 connections),
// PostgreSQL and the gateway line's JSON upstream to core 1. Database: BENCH_DATABASE_URL, else a
// throw-away PostgreSQL cluster when the server binaries are installed, else the embedded PGlite
// (figures then informational only).
// Options: --duration S (default 10), --soak S (adds an RSS run of S seconds on GET /customers/:id),
// --compare DIR [--rounds N]: this build against another checkout's build, interleaved (no peers,
// no orders-api, no gateway).
import autocannon from 'autocannon';
import pg from 'pg';
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chownSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DURATION = arg('duration', 10);
const SOAK = arg('soak', 0);
// --compare DIR: a second Scopegate from another checkout's build (DIR/dist), on its own database,
// measured interleaved with this one (A, B, A, B…) for --rounds rounds instead of the peer comparison.
const compareIdx = process.argv.indexOf('--compare');
const COMPARE = compareIdx > 0 ? process.argv[compareIdx + 1] : undefined;
const ROUNDS = arg('rounds', 3);
const CONNECTIONS = 50;
const SECRET = 'bench-secret-'.padEnd(48, 'x');
const children = [];
const pin = (core) =>
  existsSync('/usr/bin/taskset') && cpus().length > 1 ? ['taskset', '-c', String(core)] : [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitOk(url, ms = 60_000, ok = (status) => status < 500) {
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(url);
      if (ok(r.status)) return;
    } catch {
      // not up yet / already stopped
    }
    if (Date.now() - t0 > ms) throw new Error(`${url} not up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function run(cmd, args, env, opts = {}) {
  const [p0, ...pArgs] = [...pin(opts.core ?? 0), cmd, ...args];
  const child = spawn(p0, pArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.resume();
  children.push(child);
  return child;
}

async function database() {
  if (process.env.BENCH_DATABASE_URL)
    return { url: process.env.BENCH_DATABASE_URL, kind: 'server (BENCH_DATABASE_URL)' };
  const bins = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  if (bins.length && process.getuid?.() === 0) {
    const bin = `/usr/lib/postgresql/${bins.at(-1)}/bin`;
    const dir = mkdtempSync(join(tmpdir(), 'sg-bench-pg-'));
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString()),
      Number(execFileSync('id', ['-g', 'postgres']).toString()),
    );
    const port = await freePort();
    execFileSync('su', [
      'postgres',
      '-c',
      `${bin}/initdb -D ${dir} -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null`,
    ]);
    const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200 -c synchronous_commit=on -c shared_buffers=256MB`;
    execFileSync('su', [
      'postgres',
      '-c',
      `${pin(1).join(' ')} ${bin}/pg_ctl -D ${dir} -l ${dir}/log -w -o '${opts}' start >/dev/null`,
    ]);
    process.on('exit', () => {
      try {
        execFileSync('su', ['postgres', '-c', `${bin}/pg_ctl -D ${dir} -m immediate stop >/dev/null`]);
      } catch {
        // not up yet / already stopped
      }
    });
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      kind: `PostgreSQL ${bins.at(-1)} server (throw-away cluster)`,
    };
  }
  return { url: undefined, kind: 'embedded PGlite (informational only)' };
}

async function load(name, url, opts) {
  await autocannon({ url, connections: 10, duration: 2, ...opts }); // warm-up
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...opts });
  const non2xx = r.non2xx + r.errors + r.timeouts;
  const out = {
    name,
    rps: Math.round(r.requests.average),
    p99: r.latency.p99,
    p50: r.latency.p50,
    errors: non2xx,
    total: r.requests.total,
  };
  console.log(
    `  ${name.padEnd(44)} ${String(out.rps).padStart(7)} req/s   p50 ${out.p50} ms   p99 ${out.p99} ms${non2xx ? `   (${non2xx} non-2xx/errors!)` : ''}`,
  );
  return out;
}

/**
 * One connection, one request at a time, so that the response time holds no queueing: what a request
 * costs end to end. p50 and p99 come from each 2xx response's own high-resolution time (autocannon's
 * histogram keeps whole milliseconds).
 */
async function latency(name, url, opts) {
  const times = [];
  const instance = autocannon({ url, connections: 1, duration: Math.min(DURATION, 5), ...opts });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) times.push(ms);
  });
  const r = await instance;
  times.sort((a, b) => a - b);
  const at = (q) => +(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN).toFixed(3);
  const non2xx = r.non2xx + r.errors + r.timeouts;
  const out = {
    name,
    rps: Math.round(r.requests.average),
    p99: at(0.99),
    p50: at(0.5),
    errors: non2xx,
    total: r.requests.total,
  };
  console.log(
    `  ${name.padEnd(44)} ${String(out.rps).padStart(7)} req/s   p50 ${out.p50} ms   p99 ${out.p99} ms${non2xx ? `   (${non2xx} non-2xx/errors!)` : ''}`,
  );
  return out;
}

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** Starts a Scopegate build (CHECKOUT/dist) with a bench client of role manager and 50 tokens. */
async function startScopegate(checkout, dbUrl) {
  const sgPort = await freePort();
  const sgUrl = `http://127.0.0.1:${sgPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-bench-data-'));
  const sg = run(process.execPath, [join(checkout, 'dist/src/main.js')], {
    NODE_ENV: 'production',
    PORT: String(sgPort),
    ISSUER: sgUrl,
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
    SECRET_PEPPER: 'bench-pepper-0123456789-0123456789-0123456789',
    AUDIT_KEY: 'YmVuY2gtYXVkaXQta2V5LTAxMjM0NTY3ODktMDEyMzQ1',
    ADMIN_CLIENT_ID: 'bench-admin',
    ADMIN_CLIENT_SECRET: SECRET,
    SEED_DEMO: 'true',
  });
  await waitOk(`${sgUrl}/health/ready`);
  const adminTok = (
    await (
      await fetch(`${sgUrl}/oauth/token`, {
        method: 'POST',
        headers: { ...form, authorization: basic('bench-admin', SECRET) },
        body: 'grant_type=client_credentials',
      })
    ).json()
  ).access_token;
  const client = await (
    await fetch(`${sgUrl}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminTok}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'bench', role: 'manager' }),
    })
  ).json();
  const sgAuth = basic(client.client_id, client.client_secret);
  const sgToken = async () =>
    (
      await (
        await fetch(`${sgUrl}/oauth/token`, {
          method: 'POST',
          headers: { ...form, authorization: sgAuth },
          body: 'grant_type=client_credentials',
        })
      ).json()
    ).access_token;
  const customers = (
    await (
      await fetch(`${sgUrl}/customers?limit=100`, { headers: { authorization: `Bearer ${await sgToken()}` } })
    ).json()
  ).data.map((c) => c.id);
  const sgTokens = await Promise.all(Array.from({ length: 50 }, sgToken));

  return { sg, sgUrl, sgAuth, sgToken, customers, sgTokens, adminTok };
}

/**
 * Registers the Orders API in this Scopegate through the admin API (as a user would): claim category
 * `pricing`, scopes `orders:read` and `orders:pricing` (pricing), one resource-server client for
 * examples/orders-api and one for the gateway, and a caller with both scopes. Returns the clients and
 * two tokens for the API's audience: `token` with both scopes, `readToken` without `orders:pricing`.
 */
async function setupOrdersApi(sgUrl, adminTok) {
  const admin = async (path, body) => {
    const res = await fetch(`${sgUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminTok}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const audience = 'https://orders.example';
  await admin('/admin/claim-categories', { name: 'pricing' });
  await admin('/admin/scopes', { name: 'orders:read' });
  await admin('/admin/scopes', { name: 'orders:pricing', claim_category: 'pricing' });
  const client = (body) => admin('/admin/clients', { grant_types: ['client_credentials'], ...body });
  const rs = await client({ client_name: 'orders-api', role: 'resource-server' });
  const gatewayRs = await client({ client_name: 'orders-gateway', role: 'resource-server' });
  await admin('/admin/apis', {
    identifier: audience,
    name: 'Orders',
    scopes: ['orders:read', 'orders:pricing'],
    resource_server_clients: [rs.client_id, gatewayRs.client_id],
  });
  const caller = await client({ client_name: 'orders-bench', scope: 'orders:read orders:pricing' });
  const tokenFor = async (scope) => {
    const tokenRes = await fetch(`${sgUrl}/oauth/token`, {
      method: 'POST',
      headers: { ...form, authorization: basic(caller.client_id, caller.client_secret) },
      body: `grant_type=client_credentials&resource=${encodeURIComponent(audience)}&scope=${encodeURIComponent(scope)}`,
    });
    const { access_token: token } = await tokenRes.json();
    if (!token) throw new Error(`no token for ${audience} with ${scope}: ${tokenRes.status}`);
    return token;
  };
  return {
    audience,
    rs,
    gatewayRs,
    token: await tokenFor('orders:read orders:pricing'),
    readToken: await tokenFor('orders:read'),
  };
}

/**
 * Starts examples/orders-api as a resource server of the Orders API (setupOrdersApi) and the bare
 * peer, and checks once that both answer the same JSON with the priced fields.
 */
async function startOrdersApi(sgUrl, { audience, rs, token }) {
  const [oPort, bPort] = [await freePort(), await freePort()];
  run(process.execPath, [join(root, 'examples/orders-api/dist/main.js')], {
    PORT: String(oPort),
    HOST: '127.0.0.1',
    SCOPEGATE_ISSUER: sgUrl,
    SCOPEGATE_CLIENT_ID: rs.client_id,
    SCOPEGATE_CLIENT_SECRET: rs.client_secret,
    ORDERS_AUDIENCE: audience,
    LOG_LEVEL: 'warn',
  });
  run(process.execPath, [join(root, 'bench/peers/bare-orders.mjs')], { PORT: String(bPort) });
  const ordersUrl = `http://127.0.0.1:${oPort}`;
  const bareUrl = `http://127.0.0.1:${bPort}`;
  await waitOk(`${ordersUrl}/health/ready`, 60_000, (status) => status === 200);
  await waitOk(`${bareUrl}/orders/ord-1001`);

  const ids = ['ord-1001', 'ord-1002'];
  for (const id of ids) {
    const o = await fetch(`${ordersUrl}/orders/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const b = await fetch(`${bareUrl}/orders/${id}`);
    const [oBody, bBody] = [await o.text(), await b.text()];
    if (o.status !== 200 || !('total' in JSON.parse(oBody)))
      throw new Error(`orders-api GET /orders/${id}: ${o.status} ${oBody} (expected 200 with total)`);
    if (b.status !== 200 || oBody !== bBody)
      throw new Error(`bare peer differs for ${id}:\n  orders-api ${oBody}\n  bare       ${bBody}`);
  }
  const requests = (headers) => ({
    setupClient: (c) => c.setRequests(ids.map((id) => ({ method: 'GET', path: `/orders/${id}`, headers }))),
  });
  return {
    orders: [`${ordersUrl}/orders/${ids[0]}`, requests({ authorization: `Bearer ${token}` })],
    bare: [`${bareUrl}/orders/${ids[0]}`, requests({})],
  };
}

/** JSON response fields the gateway route filters; none is granted without `orders:pricing`. */
const GATEWAY_CLAIMS = {
  subtotal: 'pricing',
  tax: 'pricing',
  total: 'pricing',
  'shipping.cost': 'pricing',
  'items[].unit_price': 'pricing',
  'items[].line_total': 'pricing',
};

/** `value` without the members at `paths` (claims paths without `[]`; arrays are transparent). */
function without(value, paths) {
  if (Array.isArray(value)) return value.map((v) => without(v, paths));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    if (paths.includes(key)) continue;
    const inner = paths.filter((p) => p.startsWith(`${key}.`)).map((p) => p.slice(key.length + 1));
    out[key] = inner.length ? without(v, inner) : v;
  }
  return out;
}

/**
 * Starts bench/peers/json-upstream.mjs, the gateway (packages/gateway) with one protected, claims-filtered
 * route to it as a resource server of the Orders API, and the same upstream behind a bare
 * @fastify/http-proxy; checks once that the gateway refuses a request without a token, answers the full
 * body to a token with `orders:pricing` and the body cut of every priced field to one without, and that
 * the bare proxy answers the full body.
 */
async function startGateway(sgUrl, { audience, gatewayRs, token, readToken }) {
  const [upPort, gwPort, pxPort] = [await freePort(), await freePort(), await freePort()];
  run(process.execPath, [join(root, 'bench/peers/json-upstream.mjs')], { PORT: String(upPort) }, { core: 1 });
  const upstream = `http://127.0.0.1:${upPort}`;
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-gateway-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    [
      `listen: { host: 127.0.0.1, port: ${gwPort} }`,
      `issuer: ${sgUrl}`,
      `client: { id: ${gatewayRs.client_id}, secret: "\${BENCH_GATEWAY_CLIENT_SECRET}" }`,
      'routes:',
      '  - name: orders',
      '    match: { path: /orders/*, methods: [GET] }',
      `    upstream: ${upstream}`,
      `    audience: ${audience}`,
      '    scopes: [orders:read]',
      `    claims: ${JSON.stringify(GATEWAY_CLAIMS)}`,
      '',
    ].join('\n'),
  );
  run(process.execPath, [join(root, 'packages/gateway/dist/main.js'), '--config', config], {
    BENCH_GATEWAY_CLIENT_SECRET: gatewayRs.client_secret,
    LOG_LEVEL: 'warn',
  });
  run(process.execPath, [join(root, 'bench/peers/bare-proxy.mjs')], {
    PORT: String(pxPort),
    UPSTREAM: upstream,
  });
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;
  const proxyUrl = `http://127.0.0.1:${pxPort}`;
  const path = '/orders/ord-1001';
  await waitOk(`${upstream}${path}`);
  await waitOk(`${gatewayUrl}/health/ready`, 60_000, (status) => status === 200);
  await waitOk(`${proxyUrl}${path}`);

  const get = async (url, bearer) => {
    const res = await fetch(url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    return { status: res.status, text: await res.text() };
  };
  const full = await get(`${upstream}${path}`);
  const expected = JSON.stringify(
    without(
      JSON.parse(full.text),
      Object.keys(GATEWAY_CLAIMS).map((p) => p.replaceAll('[]', '')),
    ),
  );
  if (expected === JSON.stringify(JSON.parse(full.text)))
    throw new Error(`the upstream body has none of the filtered fields: ${full.text}`);
  const checks = [
    ['bare proxy', await get(`${proxyUrl}${path}`), 200, (t) => t === full.text, 'the full body'],
    ['gateway, no token', await get(`${gatewayUrl}${path}`), 401, () => true, 'a 401'],
    [
      'gateway, orders:read orders:pricing',
      await get(`${gatewayUrl}${path}`, token),
      200,
      (t) => t === full.text,
      'the full body',
    ],
    [
      'gateway, orders:read',
      await get(`${gatewayUrl}${path}`, readToken),
      200,
      (t) => JSON.stringify(JSON.parse(t)) === expected,
      `the body without ${Object.keys(GATEWAY_CLAIMS).join(', ')}`,
    ],
  ];
  for (const [name, res, status, ok, what] of checks)
    if (res.status !== status || !ok(res.text))
      throw new Error(`${name} GET ${path}: ${res.status} ${res.text}\n  (expected ${status} with ${what})`);
  return {
    gateway: [`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${readToken}` } }],
    proxy: [`${proxyUrl}${path}`, {}],
  };
}

/** The three Scopegate scenarios as autocannon options for one running server. */
function scenarios({ sgUrl, sgAuth, customers, sgTokens }) {
  return {
    'client_credentials issuance': [
      `${sgUrl}/oauth/token`,
      { method: 'POST', headers: { ...form, authorization: sgAuth }, body: 'grant_type=client_credentials' },
    ],
    introspection: [
      `${sgUrl}/oauth/introspect`,
      {
        setupClient: (c) =>
          c.setRequests(
            sgTokens.map((t) => ({
              method: 'POST',
              path: '/oauth/introspect',
              headers: { ...form, authorization: sgAuth },
              body: `token=${t}`,
            })),
          ),
      },
    ],
    'GET /customers/:id': [
      `${sgUrl}/customers/${customers[0]}`,
      {
        setupClient: (c) =>
          c.setRequests(
            customers.map((id) => ({
              method: 'GET',
              path: `/customers/${id}`,
              headers: { authorization: `Bearer ${sgTokens[0]}` },
            })),
          ),
      },
    ],
  };
}

/** This build (A) against the build in COMPARE (B), interleaved so that machine load hits both alike. */
async function compare(db, a) {
  if (!db.url)
    throw new Error('--compare needs a PostgreSQL server (BENCH_DATABASE_URL or the throw-away cluster)');
  const url = new URL(db.url);
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS bench_compare');
  await admin.query('CREATE DATABASE bench_compare');
  await admin.end();
  url.pathname = '/bench_compare';
  const b = await startScopegate(COMPARE, url.toString());
  const [sa, sb] = [scenarios(a), scenarios(b)];
  console.log(`A = ${root}, B = ${COMPARE}; ${ROUNDS} interleaved rounds\n`);
  const summary = {};
  for (const name of Object.keys(sa)) {
    console.log(name);
    for (let i = 0; i < ROUNDS; i++) {
      const ra = await load(`A round ${i + 1}`, ...sa[name]);
      const rb = await load(`B round ${i + 1}`, ...sb[name]);
      (summary[name] ??= []).push(+(ra.rps / rb.rps).toFixed(2));
    }
  }
  console.log('\nA/B per round');
  for (const [name, r] of Object.entries(summary)) console.log(`  ${name.padEnd(30)} ${r.join('×  ')}×`);
}

async function main() {
  if (pin(1).length) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const db = await database();
  console.log(
    `Scopegate benchmark — ${new Date().toISOString()} — ${cpus().length} cores (${cpus()[0].model}), Node ${process.version}`,
  );
  console.log(
    `database: ${db.kind}; ${CONNECTIONS} connections, ${DURATION} s per run, servers pinned to core 0\n`,
  );

  const { sg, sgUrl, sgAuth, sgToken, customers, sgTokens, adminTok } = await startScopegate(root, db.url);
  if (COMPARE) return compare(db, { sgUrl, sgAuth, customers, sgTokens });

  // oidc-provider
  const opPort = await freePort();
  const [opCmd, ...opArgs] = [...pin(0), process.execPath, join(root, 'bench/peers/oidc-provider.mjs')];
  const op = spawn(opCmd, opArgs, {
    env: { ...process.env, PORT: String(opPort), CLIENT_SECRET: SECRET },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(op);
  const opUrl = `http://127.0.0.1:${opPort}`;
  await waitOk(`${opUrl}/.well-known/openid-configuration`);
  const opAuth = basic('bench', SECRET);
  const opToken = async (resource) =>
    (
      await (
        await fetch(`${opUrl}/token`, {
          method: 'POST',
          headers: { ...form, authorization: opAuth },
          body: `grant_type=client_credentials&scope=api:read${resource ? `&resource=${resource}` : ''}`,
        })
      ).json()
    ).access_token;
  const opTokens = await Promise.all(Array.from({ length: 50 }, () => opToken('urn:bench:opaque')));
  if (!opTokens[0] || !(await opToken())) throw new Error('oidc-provider did not issue tokens');

  // bare Fastify (needs the same database; the embedded one is only reachable inside Scopegate)
  let bare;
  if (db.url) {
    const bPort = await freePort();
    const [bCmd, ...bArgs] = [...pin(0), process.execPath, join(root, 'bench/peers/bare-fastify.mjs')];
    const b = spawn(bCmd, bArgs, {
      env: { ...process.env, PORT: String(bPort), DATABASE_URL: db.url },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(b);
    bare = `http://127.0.0.1:${bPort}`;
    await waitOk(`${bare}/customers/${customers[0]}`);
  }
  const ordersSetup = await setupOrdersApi(sgUrl, adminTok);
  const ordersRuns = await startOrdersApi(sgUrl, ordersSetup);
  const gatewayRuns = await startGateway(sgUrl, ordersSetup);

  const results = {};
  const rssStart = rss(sg.pid);
  console.log('client_credentials token issuance');
  const sgRuns = scenarios({ sgUrl, sgAuth, customers, sgTokens });
  results.cc_scopegate = await load(
    'Scopegate (record + audit committed)',
    ...sgRuns['client_credentials issuance'],
  );
  results.cc_oidc = await load('oidc-provider (ES256 JWT, in-memory)', `${opUrl}/token`, {
    method: 'POST',
    headers: { ...form, authorization: opAuth },
    body: 'grant_type=client_credentials&scope=api:read',
  });
  console.log('introspection');
  results.in_scopegate = await load('Scopegate', ...sgRuns.introspection);
  results.in_oidc = await load('oidc-provider (opaque, in-memory)', `${opUrl}/token/introspection`, {
    method: 'POST',
    headers: { ...form, authorization: opAuth },
    setupClient: (c) =>
      c.setRequests(
        opTokens.map((t) => ({
          method: 'POST',
          path: '/token/introspection',
          headers: { ...form, authorization: opAuth },
          body: `token=${t}`,
        })),
      ),
  });
  console.log('GET /customers/:id');
  results.api_scopegate = await load(
    'Scopegate (verify, revocation, scopes, claims, audit)',
    ...sgRuns['GET /customers/:id'],
  );
  if (bare) {
    results.api_bare = await load('bare Fastify, same SQL and JSON', `${bare}/customers/${customers[0]}`, {
      setupClient: (c) => c.setRequests(customers.map((id) => ({ method: 'GET', path: `/customers/${id}` }))),
    });
  }
  console.log('examples/orders-api GET /orders/:id');
  results.orders_api = await load('orders-api (@scopegate/nest: verify, feed, claims)', ...ordersRuns.orders);
  results.orders_bare = await load('bare Fastify, same JSON', ...ordersRuns.bare);
  console.log('gateway GET /orders/:id (1.5 KB JSON upstream, priced fields cut)');
  results.gateway = await load('gateway (verify, feed, scopes, claims, usage)', ...gatewayRuns.gateway);
  results.gateway_proxy = await load('bare @fastify/http-proxy, no auth', ...gatewayRuns.proxy);
  results.gateway_1conn = await latency('gateway, 1 connection', ...gatewayRuns.gateway);
  results.gateway_proxy_1conn = await latency('bare @fastify/http-proxy, 1 connection', ...gatewayRuns.proxy);
  let soak;
  if (SOAK > 0) {
    console.log(`RSS soak: GET /customers/:id for ${SOAK} s`);
    const samples = [];
    const timer = setInterval(() => samples.push(rss(sg.pid)), 5000);
    await autocannon({
      url: `${sgUrl}/customers/${customers[0]}`,
      connections: CONNECTIONS,
      duration: SOAK,
      headers: { authorization: `Bearer ${await sgToken()}` },
    });
    clearInterval(timer);
    const steady = samples.slice(Math.floor(samples.length / 5));
    soak = {
      seconds: SOAK,
      rss_min_mb: Math.round(Math.min(...steady) / 2 ** 20),
      rss_max_mb: Math.round(Math.max(...steady) / 2 ** 20),
    };
    soak.drift = +(soak.rss_max_mb / soak.rss_min_mb - 1).toFixed(3);
    console.log(
      `  RSS after warm-up ${soak.rss_min_mb}–${soak.rss_max_mb} MB (spread ${(soak.drift * 100).toFixed(1)} %)`,
    );
  }
  const rssEnd = rss(sg.pid);

  // A run with non-2xx responses or errors gives no figure.
  const ratio = (a, b) => (a && b && !a.errors && !b.errors ? +(a.rps / b.rps).toFixed(2) : null);
  const ratios = {
    issuance_vs_oidc_provider: { value: ratio(results.cc_scopegate, results.cc_oidc), target: 2 },
    introspection_vs_oidc_provider: { value: ratio(results.in_scopegate, results.in_oidc), target: 1.5 },
    api_vs_bare_fastify: { value: ratio(results.api_scopegate, results.api_bare), target: 0.7 },
    orders_api_vs_bare_fastify: { value: ratio(results.orders_api, results.orders_bare), target: 0.7 },
    gateway_vs_bare_http_proxy: { value: ratio(results.gateway, results.gateway_proxy), target: 0.6 },
  };
  // What the gateway adds to a request: p50 against the bare proxy with one connection (no queueing).
  // At 50 connections the p50 is mostly queueing, so its difference only restates the req/s ratio.
  const added = (a, b) => (a && b && !a.errors && !b.errors ? +(a.p50 - b.p50).toFixed(2) : null);
  const addedLatency = {
    gateway_p50_ms: { value: added(results.gateway_1conn, results.gateway_proxy_1conn), target: 1 },
    gateway_p50_ms_at_50_connections: { value: added(results.gateway, results.gateway_proxy), target: null },
  };
  console.log('\nratios (target)');
  for (const [k, v] of Object.entries(ratios))
    console.log(
      `  ${k.padEnd(34)} ${v.value ?? 'n/a'}×  (≥ ${v.target}×)  ${v.value === null ? '' : v.value >= v.target ? 'met' : 'NOT met'}`,
    );
  console.log('added latency (target)');
  for (const [k, v] of Object.entries(addedLatency))
    console.log(
      `  ${k.padEnd(34)} ${v.value === null ? 'n/a' : `${v.value >= 0 ? '+' : ''}${v.value}`} ms  ${
        v.target === null
          ? '(informational: queueing)'
          : `(≤ ${v.target} ms)  ${v.value === null ? '' : v.value <= v.target ? 'met' : 'NOT met'}`
      }`,
    );
  const p99Max = Math.max(...Object.values(results).map((r) => r.p99));
  console.log(
    `  p99 worst case: ${p99Max} ms (target ≤ 25 ms); Scopegate RSS ${Math.round(rssStart / 2 ** 20)} → ${Math.round(rssEnd / 2 ** 20)} MB`,
  );

  const report = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0].model, node: process.version },
    database: db.kind,
    connections: CONNECTIONS,
    duration_s: DURATION,
    results,
    ratios,
    added_latency: addedLatency,
    p99_max_ms: p99Max,
    rss_mb: { start: Math.round(rssStart / 2 ** 20), end: Math.round(rssEnd / 2 ** 20) },
    soak,
  };
  writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify(report, null, 2) + '\n');
  console.log('\nwritten to bench/results/latest.json');
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    setTimeout(() => process.exit(), 2000).unref();
  });
