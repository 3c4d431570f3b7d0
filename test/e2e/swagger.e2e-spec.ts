import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IS_PUBLIC, REQUIRED_SCOPES } from '@scopegate/nest';
import { demoCustomerId, demoCustomers } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { launchChromium } from '../support/chromium';
import { accessToken, ADMIN_ENV, adminToken, api } from '../support/oauth';

/** The demo catalog's scopes (docs/architecture.md); Swagger's Authorize dialog must offer every one of them. */
const DEMO_SCOPES = [
  'customers:read',
  'customers:profile',
  'customers:address',
  'customers:banking',
  'customers:write',
  'admin',
];

/** The demo manager's role grants these (its OpenID Connect scopes are not for client credentials). */
const MANAGER_SCOPES = ['customers:read', 'customers:profile', 'customers:address'];

/** Routes that must appear in the document whatever else is added. */
const REQUIRED_PATHS = [
  '/oauth/token',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/.well-known/jwks.json',
  '/customers',
  '/customers/{id}',
  '/admin/clients',
  '/admin/clients/{clientId}',
  '/admin/scopes',
  '/admin/roles',
  '/admin/audit',
  '/admin/audit/verify',
  '/admin/audit/archive',
  '/health/live',
  '/health/ready',
];

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Operation {
  method: string;
  path: string;
  op: OperationObject;
}

interface Route {
  method: string;
  path: string;
  /** Required scopes, or null for a public route. */
  scopes: string[] | null;
}

function operationsOf(doc: OpenAPIObject): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m]! })),
  );
}

/** What the route table says a route needs: null when public, otherwise the scopes of `oauth2`. */
function documentedScopes(op: OperationObject): string[] | null {
  const security = op.security ?? [];
  if (security.length === 0) return null;
  expect(security, 'one requirement object naming only the oauth2 scheme').toEqual([
    { oauth2: expect.any(Array) },
  ]);
  return security[0].oauth2;
}

/** The scopes a route must require according to the demo catalog, or null for the public ones. */
function expectedScopes(method: string, path: string): string[] | null {
  if (path === '/oauth/token' || path.startsWith('/.well-known/') || path.startsWith('/health/')) return null;
  if (path === '/metrics') return null; // for the monitoring network, like /health
  // The authorization endpoint and its forms, and the simple login, authenticate by their own means.
  if (path === '/oauth/authorize' || path === '/auth') return null;
  // Revocation and introspection authenticate the client themselves (RFC 7009 §2.1, RFC 7662 §2.1).
  if (path === '/oauth/revoke' || path === '/oauth/introspect') return null;
  if (path === '/oauth/userinfo') return ['openid'];
  if (path.startsWith('/admin/')) return ['admin'];
  // What remote resource servers read: the revocation feed and the claims catalog.
  if (path.startsWith('/resource-server/')) return ['scopegate:resource-server'];
  if (path === '/customers' || path.startsWith('/customers/')) {
    if (method === 'GET') return ['customers:read'];
    if (method === 'PATCH') return ['customers:write'];
  }
  throw new Error(`${method} ${path}: no permission rule in this test; decide which scopes it needs`);
}

/** Every route Nest registered, read from the controllers' metadata, with what the guards enforce. */
function registeredRoutes(app: TestApp): Route[] {
  const reflector = new Reflector();
  const routes: Route[] = [];
  for (const module of app.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const targets = [handler, controller];
        const isPublic = reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false;
        const scopes = reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets) ?? [];
        for (const prefix of prefixes) {
          for (const sub of [Reflect.getMetadata(PATH_METADATA, handler) as string | string[]].flat()) {
            const path = `/${prefix}/${sub}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
            routes.push({
              method: RequestMethod[method],
              path: path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
              scopes: isPublic ? null : scopes,
            });
          }
        }
      }
    }
  }
  return routes;
}

const permissionLine = ({ method, path, scopes }: Route) =>
  `${method} ${path} → ${scopes ? scopes.join(' ') : 'public'}`;

describe('OpenAPI document and Swagger UI', () => {
  let app: TestApp;
  let doc: OpenAPIObject;
  let operations: Operation[];

  beforeAll(async () => {
    // Swagger's document is built at start-up: the demo scopes must exist then to be in the oauth2 scheme.
    app = await startTestApp({ ...ADMIN_ENV, SEED_DEMO: 'true' });
    const res = await fetch(`${app.url}/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenAPIObject;
    operations = operationsOf(doc);
  });
  afterAll(() => app?.stop());

  /** The demo seeder printed the secrets at boot; rotating (once) gives the test one of its own. */
  let managerSecret: Promise<string> | undefined;
  function demoManagerSecret(): Promise<string> {
    return (managerSecret ??= (async () => {
      const res = await api(app, '/admin/clients/demo-manager/secret', await adminToken(app), {
        method: 'POST',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.client_secret).toEqual(expect.any(String));
      return res.body.client_secret as string;
    })());
  }

  describe('OpenAPI document', () => {
    it('declares the oauth2 client-credentials scheme with the real token URL and every demo scope', () => {
      const scheme = doc.components?.securitySchemes?.oauth2;
      expect(scheme).toMatchObject({
        type: 'oauth2',
        flows: { clientCredentials: { tokenUrl: `${app.config.ISSUER}/oauth/token` } },
      });
      const scopes = (scheme as { flows: { clientCredentials: { scopes: Record<string, string> } } }).flows
        .clientCredentials.scopes;
      expect(Object.keys(scopes)).toEqual(expect.arrayContaining(DEMO_SCOPES));
      for (const s of DEMO_SCOPES) expect(scopes[s], `description of ${s}`).toMatch(/\S/);
    });

    it('documents every route the app serves, and nothing it does not', () => {
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(REQUIRED_PATHS));
      const served = registeredRoutes(app)
        .map((r) => `${r.method} ${r.path}`)
        .sort();
      const documented = operations.map((o) => `${o.method} ${o.path}`).sort();
      expect(served.length).toBeGreaterThanOrEqual(REQUIRED_PATHS.length);
      expect(documented).toEqual(served);
    });

    it('documents the throttle (429) and outage (503) answers of every client-authenticated endpoint', () => {
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/auth']) {
        const responses = doc.paths[path]?.post?.responses ?? {};
        expect(Object.keys(responses), path).toEqual(expect.arrayContaining(['429', '503']));
      }
    });

    it('has no global security requirement that public routes would inherit', () => {
      expect(doc.security ?? []).toEqual([]);
    });

    it('puts the required scopes on every /customers and /admin operation and none on public ones', () => {
      for (const { method, path, op } of operations) {
        const expected = expectedScopes(method, path);
        if (expected) expect(op.security, `${method} ${path}`).toEqual([{ oauth2: expected }]);
        else expect(op.security ?? [], `${method} ${path} is public`).toEqual([]);
      }
    });

    it('documents exactly what the guards enforce', () => {
      const enforced = registeredRoutes(app).map(permissionLine).sort();
      const documented = operations
        .map(({ method, path, op }) => permissionLine({ method, path, scopes: documentedScopes(op) }))
        .sort();
      expect(documented).toEqual(enforced);
    });

    it('says which scope reveals each claim-filtered CustomerDto field', () => {
      const props = (
        doc.components?.schemas?.CustomerDto as { properties: Record<string, { description?: string }> }
      ).properties;
      expect(props.iban.description).toContain('`customers:banking`');
      expect(props.name.description).toContain('`customers:profile`');
      expect(props.city.description).toContain('`customers:address`');
      expect(props.id.description ?? '').not.toContain('customers:');
    });

    it('route permission snapshot (a change here is a permission change: review it)', () => {
      const lines = operations
        .map(({ method, path, op }) => permissionLine({ method, path, scopes: documentedScopes(op) }))
        .sort();
      expect(lines).toMatchInlineSnapshot(`
        [
          "DELETE /admin/apis/{id} → admin",
          "DELETE /admin/claim-categories/{name} → admin",
          "DELETE /admin/clients/{clientId}/tokens → admin",
          "DELETE /admin/roles/{name} → admin",
          "DELETE /admin/roles/{name}/scopes/{scope} → admin",
          "DELETE /admin/scopes/{name} → admin",
          "DELETE /admin/tokens/{jti} → admin",
          "DELETE /admin/users/{id}/consents/{client_id} → admin",
          "GET /.well-known/jwks.json → public",
          "GET /.well-known/oauth-authorization-server → public",
          "GET /.well-known/openid-configuration → public",
          "GET /admin/apis → admin",
          "GET /admin/apis/{id} → admin",
          "GET /admin/audit → admin",
          "GET /admin/audit/verify → admin",
          "GET /admin/claim-categories → admin",
          "GET /admin/claim-categories/{name} → admin",
          "GET /admin/clients → admin",
          "GET /admin/clients/{clientId} → admin",
          "GET /admin/keys → admin",
          "GET /admin/roles → admin",
          "GET /admin/roles/{name} → admin",
          "GET /admin/scopes → admin",
          "GET /admin/scopes/{name} → admin",
          "GET /admin/tokens/{jti} → admin",
          "GET /admin/users → admin",
          "GET /admin/users/{id} → admin",
          "GET /admin/users/{id}/consents → admin",
          "GET /customers → customers:read",
          "GET /customers/{id} → customers:read",
          "GET /health/live → public",
          "GET /health/ready → public",
          "GET /metrics → public",
          "GET /oauth/authorize → public",
          "GET /oauth/userinfo → openid",
          "GET /resource-server/catalog → scopegate:resource-server",
          "GET /resource-server/feed → scopegate:resource-server",
          "PATCH /admin/apis/{id} → admin",
          "PATCH /admin/clients/{clientId} → admin",
          "PATCH /admin/roles/{name} → admin",
          "PATCH /admin/scopes/{name} → admin",
          "PATCH /admin/users/{id} → admin",
          "PATCH /customers/{id} → customers:write",
          "POST /admin/apis → admin",
          "POST /admin/audit/archive → admin",
          "POST /admin/claim-categories → admin",
          "POST /admin/clients → admin",
          "POST /admin/clients/{clientId}/api-key → admin",
          "POST /admin/clients/{clientId}/disable → admin",
          "POST /admin/clients/{clientId}/enable → admin",
          "POST /admin/clients/{clientId}/secret → admin",
          "POST /admin/keys/rotate → admin",
          "POST /admin/keys/{kid}/revoke → admin",
          "POST /admin/roles → admin",
          "POST /admin/roles/{name}/scopes → admin",
          "POST /admin/scopes → admin",
          "POST /admin/users → admin",
          "POST /admin/users/{id}/disable → admin",
          "POST /admin/users/{id}/enable → admin",
          "POST /admin/users/{id}/password → admin",
          "POST /auth → public",
          "POST /oauth/authorize → public",
          "POST /oauth/introspect → public",
          "POST /oauth/revoke → public",
          "POST /oauth/token → public",
          "POST /oauth/userinfo → openid",
          "POST /resource-server/usage → scopegate:resource-server",
        ]
      `);
    });

    it('the guards enforce the documented scopes: 401 without a token, 403 without the scope', async () => {
      const tokens = [
        {
          scopes: ['admin'],
          token: await accessToken(app, ADMIN_ENV.ADMIN_CLIENT_ID, ADMIN_ENV.ADMIN_CLIENT_SECRET, 'admin'),
        },
        {
          scopes: MANAGER_SCOPES,
          token: await accessToken(app, 'demo-manager', await demoManagerSecret(), MANAGER_SCOPES.join(' ')),
        },
      ];
      for (const { method, path, op } of operations) {
        const required = documentedScopes(op);
        const url = path.replace(/\{[^}]+\}/g, 'no-such-id');
        const init = { method, body: method === 'GET' || method === 'DELETE' ? undefined : {} };
        if (!required) {
          // Without its parameters the authorization endpoint shows its error page (RFC 6749 §4.1.2.1).
          if (method === 'GET' && path === '/oauth/authorize')
            expect((await api(app, url, undefined)).status, `${method} ${path}`).toBe(400);
          else if (method === 'GET')
            expect((await api(app, url, undefined)).status, `${method} ${path}`).toBe(200);
          continue;
        }
        const anonymous = await api(app, url, undefined, init);
        expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
        const lacking = tokens.find((t) => !required.every((s) => t.scopes.includes(s)))!;
        const denied = await api(app, url, lacking.token, init);
        expect(denied.status, `${method} ${path} with ${lacking.scopes.join(' ')}`).toBe(403);
        expect(denied.headers.get('www-authenticate')).toContain('insufficient_scope');
      }
    });
  });

  describe('Swagger UI in headless Chromium', () => {
    let browser: Browser | undefined;
    afterAll(() => browser?.close());

    it('authorizes with the demo manager and shows a customer without banking fields', async () => {
      const secret = await demoManagerSecret();
      const customer = demoCustomers(1)[0];

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.setDefaultTimeout(15_000);
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
      });
      page.on('requestfailed', (req) =>
        problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`),
      );

      await page.goto(`${app.url}/docs`);
      await page.getByRole('button', { name: 'Authorize' }).first().click();

      const dialog = page.locator('.modal-ux');
      await dialog.waitFor();
      const flow = dialog.locator('.auth-container', { hasText: 'clientCredentials' });
      await flow.locator('#client_id_clientCredentials').fill('demo-manager');
      await flow.locator('#client_secret_clientCredentials').fill(secret);
      for (const scope of MANAGER_SCOPES) {
        // The checkbox itself is hidden behind its styled label, as for a person clicking it.
        const checkbox = flow.locator(`input[data-value="${scope}"]`);
        await flow.locator(`input[data-value="${scope}"] + label`).click();
        expect(await checkbox.isChecked(), scope).toBe(true);
      }
      const tokenResponse = page.waitForResponse((res) => res.url() === `${app.config.ISSUER}/oauth/token`);
      await flow.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
      const token = await tokenResponse;
      expect(token.status(), await token.text()).toBe(200);
      expect(((await token.json()) as { scope: string }).scope.split(' ').sort()).toEqual(
        [...MANAGER_SCOPES].sort(),
      );

      // Authorized: the credentials are masked and the Authorize button turned into Logout.
      const logout = flow.getByRole('button', { name: 'Remove authorization' });
      await logout.waitFor();
      expect(await logout.textContent()).toBe('Logout');
      expect(await flow.locator('h6').textContent()).toBe('Authorized');
      // One Close button per flow (clientCredentials, authorizationCode); any closes the dialog.
      await dialog.getByRole('button', { name: 'Close' }).first().click();
      await dialog.waitFor({ state: 'detached' });

      const operation = page.locator('.opblock.opblock-get', {
        has: page.locator('.opblock-summary-path[data-path="/customers/{id}"]'),
      });
      await operation.locator('.opblock-summary').click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.locator('tr[data-param-name="id"] input').fill(demoCustomerId(0));
      const apiResponse = page.waitForResponse((res) =>
        res.url().endsWith(`/customers/${demoCustomerId(0)}`),
      );
      await operation.getByRole('button', { name: 'Execute' }).click();
      expect((await apiResponse).status()).toBe(200);

      const body = operation.locator('.live-responses-table .response-col_description .highlight-code code');
      await body.waitFor();
      await operation.screenshot({ path: '/tmp/swagger-authorized.png' });
      const shown = (await body.textContent()) ?? '';
      expect(shown).toContain('"name"');
      expect(shown).toContain('"city"');
      expect(shown).not.toContain('"iban"');
      // The manager's role grants profile and address: exactly those fields, none of banking.
      expect(JSON.parse(shown)).toEqual({
        id: demoCustomerId(0),
        created_at: customer.createdAt!.toISOString(),
        name: customer.name,
        email: customer.email,
        age: customer.age,
        street: customer.street,
        city: customer.city,
        postal_code: customer.postalCode,
        country: customer.country,
      });
      expect(problems).toEqual([]);
    }, 90_000);
  });
});
