import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { Browser, CALLBACK, createUser, hiddenFields, pkcePair, seedDelegation } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, seedDemo, tokenRequest } from '../support/oauth';

const rawBasic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** `login.failed` events of one username and reason (at most 200: more fail the count anyway). */
async function loginFailures(app: TestApp, admin: string, username: string, reason: string) {
  const res = await api(app, '/admin/audit?type=login.failed&limit=200', admin);
  return (res.body.data as { details: { username: string; reason: string } }[]).filter(
    (e) => e.details.username === username && e.details.reason === reason,
  ).length;
}

/**
 * Sign-in attempts are reserved in the shared throttle BEFORE the password is verified, so a burst of
 * concurrent attempts cannot all be evaluated (OWASP ASVS 2.2.1); password verification runs in a bounded
 * number of slots, so a burst cannot occupy the thread pool.
 */
describe('login throttle under concurrency', () => {
  let app: TestApp;
  let admin: string;
  const password = 'a perfectly fine passphrase';

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  it('POST /auth: of 100 concurrent wrong passwords at most 5 are evaluated; then the right one is refused', async () => {
    await createUser(app, admin, { username: 'racer', password, roles: ['viewer'] });
    const attempt = (pw: string) =>
      fetch(`${app.url}/auth`, { method: 'POST', headers: { authorization: rawBasic('racer', pw) } });
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(`wrong ${i}`)));
    expect(burst.every((r) => r.status === 401)).toBe(true);
    const throttled = burst.filter((r) => r.headers.get('retry-after'));
    expect(throttled.length).toBeGreaterThanOrEqual(95);
    expect(await loginFailures(app, admin, 'racer', 'wrong password')).toBeLessThanOrEqual(5);
    expect(await loginFailures(app, admin, 'racer', 'throttled')).toBeGreaterThanOrEqual(95);

    const right = await attempt(password);
    expect(right.status).toBe(401);
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(right.headers.get('authorization')).toBeNull();
  });

  it('/oauth/authorize login form: the same burst evaluates at most 5; then the right one is refused', async () => {
    await createUser(app, admin, { username: 'formracer', password, roles: ['viewer'] });
    const query = () =>
      new URLSearchParams({
        response_type: 'code',
        client_id: 'demo-spa',
        redirect_uri: CALLBACK,
        scope: 'customers:read',
        state: 's',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      }).toString();
    const forms = await Promise.all(
      Array.from({ length: 101 }, async () => {
        const browser = new Browser(app.url);
        const page = await browser.get(`/oauth/authorize?${query()}`);
        return { browser, fields: hiddenFields(page.html) };
      }),
    );
    const last = forms.pop()!;
    const burst = await Promise.all(
      forms.map(({ browser, fields }, i) =>
        browser.post('/oauth/authorize', { ...fields, username: 'formracer', password: `wrong ${i}` }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(95);
    expect(await loginFailures(app, admin, 'formracer', 'wrong password')).toBeLessThanOrEqual(5);

    const right = await last.browser.post('/oauth/authorize', {
      ...last.fields,
      username: 'formracer',
      password,
    });
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(right.location).toBeNull();
  });
});

describe('bounded password hashing', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      ...ADMIN_ENV,
      TRUST_PROXY: 'loopback',
      PASSWORD_HASH_CONCURRENCY: '2',
      PASSWORD_HASH_QUEUE: '8',
    });
  });
  afterAll(() => app?.stop());

  const metric = async (name: string) => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };

  it('300 concurrent unknown-user sign-ins from 300 addresses: at most 2 hashes at once, the rest refused fast, the token endpoint served', async () => {
    const logins = Array.from({ length: 300 }, (_, i) =>
      fetch(`${app.url}/auth`, {
        method: 'POST',
        headers: {
          authorization: rawBasic(`nobody-${i}`, 'some password'),
          'x-forwarded-for': `10.0.${Math.floor(i / 250)}.${i % 250}`,
        },
      }),
    );
    const token = tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      {
        id: ADMIN_ENV.ADMIN_CLIENT_ID,
        secret: ADMIN_ENV.ADMIN_CLIENT_SECRET,
      },
    );
    const [responses, served] = await Promise.all([Promise.all(logins), token]);
    expect(served.status).toBe(200);
    expect(responses.every((r) => r.status === 401)).toBe(true);
    const refused = responses.filter((r) => r.headers.get('retry-after') !== null).length;
    expect(refused).toBeGreaterThan(0);
    expect(await metric('scopegate_password_verifications_in_flight_max')).toBeLessThanOrEqual(2);
    expect(await metric('scopegate_password_verifications_in_flight_max')).toBeGreaterThanOrEqual(1);
    expect(await metric('scopegate_password_verifications_refused_total')).toBe(refused);
  });
});
