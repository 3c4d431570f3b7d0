import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { launchChromium } from '../support/chromium';
import { createUser, pkcePair } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

/** The "local callback" of a native or single-page app: records the query it was redirected with. */
function callbackServer(): Promise<{ server: Server; url: string; hits: URLSearchParams[] }> {
  const hits: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end(); // e.g. /favicon.ico
    hits.push(url.searchParams);
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>done</title><p>Signed in.</p>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, hits }),
    ),
  );
}

describe('login and consent in a real headless Chromium', () => {
  let app: TestApp;
  let admin: string;
  let browser: Browser;
  let cb: Awaited<ReturnType<typeof callbackServer>>;
  let clientId: string;
  const password = 'lantern meadow 58 quartz';

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
    cb = await callbackServer();
    const client = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: {
        client_name: 'Browser Test App',
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        redirect_uris: [cb.url],
        role: 'manager',
      },
    });
    clientId = client.body.client_id;
    await createUser(app, admin, { username: 'erin', password, roles: ['manager'], name: 'Erin' });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    cb?.server.close();
    await app?.stop();
  });

  const authorizationUrl = (challenge: string, extra: Record<string, string> = {}) =>
    `${app.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: cb.url,
      scope: 'customers:read customers:profile',
      state: 'st-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    }).toString()}`;

  it('signs in (after a wrong password), allows, exchanges the code, sees only consented fields; then skips consent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { verifier, challenge } = pkcePair();
    await page.goto(authorizationUrl(challenge));
    expect(await page.title()).toContain('Sign in');

    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password').fill('not the right one');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password.');
    const failed = await api(app, '/admin/audit?type=login.failed', admin);
    expect(failed.body.data.some((e: any) => e.details.username === 'erin')).toBe(true);

    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const consentText = await page.textContent('main');
    expect(consentText).toContain('Browser Test App');
    expect(consentText).toContain("See customers' name, email and age");

    await Promise.all([page.waitForURL(`${cb.url}?**`), page.getByRole('button', { name: 'Allow' }).click()]);
    const hit = cb.hits.at(-1)!;
    expect(hit.get('state')).toBe('st-1');
    expect(hit.get('iss')).toBe(app.config.ISSUER);
    const code = hit.get('code')!;
    expect(code).toBeTruthy();

    const tokenRes = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: cb.url,
        client_id: clientId,
        code_verifier: verifier,
      }),
    });
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as { access_token: string; scope: string };
    expect(tokens.scope).toBe('customers:profile customers:read');
    const customer = await api(app, `/customers/${demoCustomerId(3)}`, tokens.access_token);
    expect(customer.status).toBe(200);
    expect(customer.body).toHaveProperty('email');
    expect(customer.body).not.toHaveProperty('street');
    expect(customer.body).not.toHaveProperty('iban');

    // Second run in the same browser: signed in and consent remembered → straight to the callback.
    const before = cb.hits.length;
    await page.goto(authorizationUrl(pkcePair().challenge, { state: 'st-2' }));
    await page.waitForURL(`${cb.url}?**`);
    expect(cb.hits.length).toBe(before + 1);
    expect(cb.hits.at(-1)!.get('state')).toBe('st-2');
    expect(cb.hits.at(-1)!.get('code')).toBeTruthy();
    await context.close();
  });

  it('Deny returns access_denied to the callback', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizationUrl(pkcePair().challenge, { state: 'st-deny', prompt: 'consent' }));
    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await Promise.all([page.waitForURL(`${cb.url}?**`), page.getByRole('button', { name: 'Deny' }).click()]);
    const hit = cb.hits.at(-1)!;
    expect(hit.get('error')).toBe('access_denied');
    expect(hit.get('state')).toBe('st-deny');
    expect(hit.get('code')).toBeNull();
    await context.close();
  });

  it('an unregistered redirect_uri shows an error page in the browser, no redirect', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(
      authorizationUrl(pkcePair().challenge).replace(
        encodeURIComponent(cb.url),
        encodeURIComponent(`${cb.url}/x`),
      ),
    );
    expect(res!.status()).toBe(400);
    expect(page.url()).toContain('/oauth/authorize');
    expect(await page.textContent('h1')).toBe('Invalid authorization request');
    await context.close();
  });
});
