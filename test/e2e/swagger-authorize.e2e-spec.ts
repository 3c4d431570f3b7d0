import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { launchChromium } from '../support/chromium';
import { createUser } from '../support/delegation';
import { ADMIN_ENV, adminToken } from '../support/oauth';

describe('Swagger UI: Authorize with the authorizationCode flow (PKCE) as a person', () => {
  let app: TestApp;
  let browser: Browser;
  const password = 'saffron window 64 pebble';

  beforeAll(async () => {
    // The demo seed at start-up registers demo-spa with ISSUER/docs/oauth2-redirect.html.
    app = await startTestApp({ ...ADMIN_ENV, SEED_DEMO: 'true' });
    await createUser(app, await adminToken(app), { username: 'swagger-user', password, roles: ['manager'] });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('serves the redirect page', async () => {
    const res = await fetch(`${app.url}/docs/oauth2-redirect.html`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('oauth2-redirect.js');
  });

  it('signs in through the popup, consents, and calls an endpoint with the token', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

    await page.goto(`${app.url}/docs`);
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    const dialog = page.locator('.modal-ux');
    await dialog.waitFor();
    const flow = dialog.locator('.auth-container', { hasText: 'authorizationCode' });
    await flow.locator('#client_id_authorizationCode').fill('demo-spa');
    for (const scope of ['customers:read', 'customers:profile']) {
      await flow.locator(`input[data-value="${scope}"] + label`).click();
    }
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      flow.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click(),
    ]);
    await popup.getByLabel('Username').fill('swagger-user');
    await popup.getByLabel('Password').fill(password);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    const tokenResponse = page.waitForResponse((res) => res.url() === `${app.config.ISSUER}/oauth/token`);
    await popup.getByRole('button', { name: 'Allow' }).click();
    const token = await tokenResponse;
    expect(token.status(), await token.text()).toBe(200);
    expect(((await token.json()) as { scope: string }).scope).toBe('customers:profile customers:read');

    await flow.getByRole('button', { name: 'Remove authorization' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'detached' });

    const operation = page.locator('.opblock.opblock-get', {
      has: page.locator('.opblock-summary-path[data-path="/customers/{id}"]'),
    });
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.locator('tr[data-param-name="id"] input').fill(demoCustomerId(0));
    const apiResponse = page.waitForResponse((res) => res.url().endsWith(`/customers/${demoCustomerId(0)}`));
    await operation.getByRole('button', { name: 'Execute' }).click();
    expect((await apiResponse).status()).toBe(200);
    const body = operation.locator('.live-responses-table .response-col_description .highlight-code code');
    await body.waitFor();
    const shown = JSON.parse((await body.textContent()) ?? '{}') as Record<string, unknown>;
    expect(shown).toHaveProperty('name');
    expect(shown).not.toHaveProperty('city');
    expect(problems).toEqual([]);
  }, 90_000);
});
