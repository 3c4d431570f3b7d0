#!/usr/bin/env node
// Token issuance with three instances on one PostgreSQL database: the audit chain's contended path.
//
//   node bench/instances.mjs --db postgres://app:app@127.0.0.1:55433/app [--duration 10] [--checkout DIR]
//
// Creates a fresh database on that server (the role needs CREATEDB), starts three instances of
// DIR/dist/src/main.js (default: this checkout; build it first), loads all three at once with autocannon
// (client_credentials, 20 connections each) and prints req/s per instance, the total, and every non-2xx.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const serverUrl = arg('db', process.env.TEST_DATABASE_URL);
const duration = Number(arg('duration', '10'));
const checkout = resolve(arg('checkout', '.'));
if (!serverUrl) throw new Error('--db postgres://… (a server whose role may CREATE DATABASE)');

const ADMIN_ID = 'bench-admin';
const ADMIN_SECRET = 'bench-admin-secret-'.padEnd(48, 'x');
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));

function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitOk(url) {
  for (const t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 200))) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
  }
  throw new Error(`${url} not up`);
}

const name = `sg_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${name}`;

try {
  const urls = [];
  for (let n = 0; n < 3; n++) {
    const port = await freePort();
    const child = spawn(process.execPath, [join(checkout, 'dist', 'src', 'main.js')], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: dbUrl.toString(),
        PORT: String(port),
        ISSUER: 'https://scopegate.bench',
        LOG_LEVEL: 'error',
        KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
        SECRET_PEPPER: 'a-bench-pepper-that-is-long-enough-0123456789',
        ADMIN_CLIENT_ID: ADMIN_ID,
        ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    urls.push(`http://127.0.0.1:${port}`);
    await waitOk(`${urls[n]}/health/ready`); // one after the other: the first migrates
  }
  const opts = (url) => ({
    url: `${url}/oauth/token`,
    method: 'POST',
    connections: 20,
    duration,
    headers: {
      authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  await Promise.all(urls.map((u) => autocannon({ ...opts(u), duration: 2 }))); // warm-up
  const results = await Promise.all(urls.map((u) => autocannon(opts(u))));
  let total = 0;
  for (const [n, r] of results.entries()) {
    total += r.requests.average;
    console.log(
      `instance ${n + 1}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
    );
  }
  console.log(`total: ${Math.round(total)} req/s over ${duration} s (3 instances, 60 connections)`);
} finally {
  children.forEach((c) => c.kill('SIGTERM'));
  await new Promise((r) => setTimeout(r, 2000));
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
