import { DemoSeeder, type DemoCredential } from '../../src/demo/seeds/demo-seeder';
import type { TestApp } from './app';

export const ADMIN_ID = 'test-admin';
export const ADMIN_SECRET = 'test-admin-secret-'.padEnd(48, 'x');

/** Env for startTestApp that bootstraps the admin client. */
export const ADMIN_ENV = { ADMIN_CLIENT_ID: ADMIN_ID, ADMIN_CLIENT_SECRET: ADMIN_SECRET };

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export interface TokenResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POST /oauth/token, form-encoded, with HTTP Basic unless `auth: 'post'`. */
export async function tokenRequest(
  app: TestApp,
  params: Record<string, string>,
  opts: {
    id?: string;
    secret?: string;
    auth?: 'basic' | 'post' | 'none';
    headers?: Record<string, string>;
  } = {},
): Promise<TokenResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    ...opts.headers,
  };
  const body = new URLSearchParams(params);
  if (opts.id !== undefined && opts.secret !== undefined && (opts.auth ?? 'basic') === 'basic') {
    headers.authorization = basic(opts.id, opts.secret);
  } else if (opts.id !== undefined && opts.auth === 'post') {
    body.set('client_id', opts.id);
    if (opts.secret !== undefined) body.set('client_secret', opts.secret);
  }
  const res = await fetch(`${app.url}/oauth/token`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A client-credentials access token, or a thrown error with the server's answer. */
export async function accessToken(app: TestApp, id: string, secret: string, scope?: string): Promise<string> {
  const res = await tokenRequest(
    app,
    { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
    { id, secret },
  );
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

export function adminToken(app: TestApp): Promise<string> {
  return accessToken(app, ADMIN_ID, ADMIN_SECRET);
}

/** Seeds the demo catalog, customers and one client per role; returns their credentials by role. */
export async function seedDemo(app: TestApp): Promise<Record<string, DemoCredential>> {
  const created = await app.app.get(DemoSeeder).seed();
  return Object.fromEntries(created.map((c) => [c.role, c]));
}

/** fetch with a bearer token; JSON body parsed when there is one. */
export async function api(
  app: TestApp,
  path: string,
  token: string | undefined,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${app.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}
