import { createHash, randomBytes } from 'node:crypto';
import { DemoDelegationSeeder } from '../../src/demo/seeds/demo-delegation';
import type { TestApp } from './app';
import { api } from './oauth';

export const CALLBACK = 'http://127.0.0.1:8080/callback';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Seeds the demo public client `demo-spa` and user `demo` (after seedDemo); returns the password. */
export async function seedDelegation(app: TestApp): Promise<string> {
  const seeded = await app.app.get(DemoDelegationSeeder).seed();
  if (!seeded.user) throw new Error('demo user already present');
  return seeded.user.password;
}

export async function createUser(
  app: TestApp,
  admin: string,
  body: {
    username: string;
    password: string;
    roles: string[];
    name?: string;
    email?: string;
    simple_login?: boolean;
  },
): Promise<{ id: string; username: string }> {
  const res = await api(app, '/admin/users', admin, { method: 'POST', body });
  if (res.status !== 201) throw new Error(`user creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of the page's form. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    out[unescapeHtml(m[1])] = unescapeHtml(m[2]);
  return out;
}

export interface PageResult {
  status: number;
  location: string | null;
  html: string;
  headers: Headers;
}

/** A tiny browser: a cookie jar and manual redirects, enough for the login and consent forms. */
export class Browser {
  cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async get(pathOrUrl: string): Promise<PageResult> {
    return this.request(pathOrUrl, { method: 'GET' });
  }

  async post(path: string, form: Record<string, string>): Promise<PageResult> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  private async request(pathOrUrl: string, init: RequestInit): Promise<PageResult> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return {
      status: res.status,
      location: res.headers.get('location'),
      html: await res.text(),
      headers: res.headers,
    };
  }
}

export interface FlowOptions {
  username: string;
  password: string;
  decision?: 'allow' | 'deny';
  browser?: Browser;
}

/**
 * Drives GET /oauth/authorize → login → consent (when asked) and returns the final redirect to the
 * client, parsed.
 */
export async function authorizeFlow(
  app: TestApp,
  params: Record<string, string>,
  opts: FlowOptions,
): Promise<{ redirect: URL; browser: Browser; consentShown: boolean }> {
  const browser = opts.browser ?? new Browser(app.url);
  let page = await browser.get(`/oauth/authorize?${new URLSearchParams(params).toString()}`);
  if (page.status === 200 && page.html.includes('name="password"')) {
    page = await browser.post('/oauth/authorize', {
      ...hiddenFields(page.html),
      username: opts.username,
      password: opts.password,
    });
  }
  let consentShown = false;
  if (page.status === 200 && page.html.includes('name="decision"')) {
    consentShown = true;
    page = await browser.post('/oauth/authorize', {
      ...hiddenFields(page.html),
      decision: opts.decision ?? 'allow',
    });
  }
  if (page.status !== 303 || !page.location)
    throw new Error(`expected a redirect to the client, got ${page.status}: ${page.html.slice(0, 300)}`);
  return { redirect: new URL(page.location), browser, consentShown };
}

/** A full code flow for a public client; returns the token response. */
export async function codeFlowTokens(
  app: TestApp,
  opts: FlowOptions & { clientId: string; scope: string; redirectUri?: string; nonce?: string },
): Promise<{ status: number; body: Record<string, any>; verifier: string; code: string }> {
  const { verifier, challenge } = pkcePair();
  const redirectUri = opts.redirectUri ?? CALLBACK;
  const { redirect } = await authorizeFlow(
    app,
    {
      response_type: 'code',
      client_id: opts.clientId,
      redirect_uri: redirectUri,
      scope: opts.scope,
      state: 's1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(opts.nonce ? { nonce: opts.nonce } : {}),
    },
    opts,
  );
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${redirect.toString()}`);
  const res = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: opts.clientId,
      code_verifier: verifier,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any>, verifier, code };
}

/** A refresh-token grant by the demo public client (RFC 6749 §6); `extra` adds or overrides parameters. */
export async function refreshAsDemoSpa(
  app: TestApp,
  refreshToken: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${app.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'demo-spa',
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
