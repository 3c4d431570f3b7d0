import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { seedDelegation } from '../support/delegation';
import { ADMIN_ENV, adminToken, seedDemo } from '../support/oauth';

/**
 * Every documented route, with hostile path parameters, queries and bodies, as an admin (so guards let
 * the request reach the handler): the answer is always a 4xx (or a 2xx), never a 5xx or a stack trace.
 */
describe('hostile input on every route never yields a 5xx', () => {
  let app: TestApp;
  let admin: string;
  let routes: { method: string; path: string }[];

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    await seedDelegation(app);
    admin = await adminToken(app);
    const doc = (await (await fetch(`${app.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
  });
  afterAll(() => app?.stop());

  const PARAMS = [
    'x',
    '-1',
    '%20',
    "1'%20OR%20'1'='1",
    '..%2F..%2Fetc%2Fpasswd',
    'a'.repeat(300),
    '%E2%80%AE',
    '00000000-0000-0000-0000-000000000000',
  ];
  const QUERIES = [
    '',
    '?limit=-5',
    '?limit=abc&cursor=%FF%FE',
    '?cursor[]=a&type[$ne]=x',
    '?since=2026-13-45',
    '?scope=%22%5C',
  ];
  const BODIES: [string, string][] = [
    ['application/json', '{"a":'],
    ['application/json', '[]'],
    ['application/json', 'null'],
    [
      'application/json',
      '{"client_name":{"$gt":""},"scopes":"x","roles":[1,2],"password":5,"grant_types":"client_credentials"}',
    ],
    ['application/json', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
    ['application/x-www-form-urlencoded', 'token=a&token=b&grant_type=%FF'],
    ['text/plain', 'hello'],
  ];

  it('path parameters, queries and bodies', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const { method, path } of routes) {
      for (const param of PARAMS) {
        const concrete = path.replace(/\{[^}]+\}/g, param);
        for (const query of QUERIES) {
          const bodies: ([string, string] | undefined)[] = method === 'GET' ? [undefined] : BODIES;
          for (const body of bodies) {
            const res = await fetch(`${app.url}${concrete}${query}`, {
              method,
              redirect: 'manual',
              headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': body[0] } : {}) },
              body: body?.[1],
            });
            sent++;
            const text = await res.text();
            if (res.status >= 500 || /\bat [\w.<>]+ \(|QueryFailedError|TypeError/.test(text)) {
              failures.push(
                `${method} ${concrete}${query} ${body?.[1] ?? ''} → ${res.status} ${text.slice(0, 120)}`,
              );
            }
          }
        }
        if (!path.includes('{')) break; // one pass is enough for routes without parameters
      }
    }
    expect(failures).toEqual([]);
    expect(routes.length).toBeGreaterThan(30);
    expect(sent).toBeGreaterThan(1000);
  }, 300_000);
});
