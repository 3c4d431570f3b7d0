import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import {
  Browser,
  codeFlowTokens,
  hiddenFields,
  pkcePair,
  seedDelegation,
  CALLBACK,
} from '../support/delegation';
import { ADMIN_ENV, ADMIN_ID, ADMIN_SECRET, adminToken, api, basic, seedDemo } from '../support/oauth';

const log = (...a: unknown[]) => console.log('PROBE', ...a);

describe('probe', () => {
  let app: TestApp;
  let admin: string;
  let password: string;
  beforeAll(async () => {
    app = await startTestApp({ ...ADMIN_ENV });
    await seedDemo(app);
    password = await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  };
  const refresh = async (rt: string, extra: Record<string, string> = {}) =>
    post(
      '/oauth/token',
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: rt,
        client_id: 'demo-spa',
        ...extra,
      }).toString(),
    );

  it('nul bytes', async () => {
    log('token client_id NUL', await post('/oauth/token', 'grant_type=client_credentials&client_id=a%00b'));
    log(
      'token grant_type NUL',
      await post('/oauth/token', 'grant_type=x%00y', { authorization: basic(ADMIN_ID, ADMIN_SECRET) }),
    );
    log(
      'revoke hint NUL',
      await post('/oauth/revoke', 'token=abc&token_type_hint=a%00', {
        authorization: basic(ADMIN_ID, ADMIN_SECRET),
      }),
    );
    log(
      'introspect hint NUL',
      await post('/oauth/introspect', 'token=abc&token_type_hint=a%00', {
        authorization: basic(ADMIN_ID, ADMIN_SECRET),
      }),
    );
    const r = await fetch(`${app.url}/oauth/authorize?client_id=a%00b&response_type=code`);
    log('authorize client_id NUL', r.status, (await r.text()).slice(0, 200));
    const a = await fetch(`${app.url}/auth`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from('us\u0000er:pw').toString('base64') },
    });
    log('/auth user NUL', a.status, await a.text());
    const b = new Browser(app.url);
    const { challenge } = pkcePair();
    const page = await b.get(
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-spa', redirect_uri: CALLBACK, scope: 'customers:read', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    const lp = await b.post('/oauth/authorize', {
      ...hiddenFields(page.html),
      username: 'de\u0000mo',
      password: 'x',
    });
    log('authorize login NUL', lp.status, lp.html.slice(0, 200));
    const j = await post('/oauth/token', '{"grant_type": ', { 'content-type': 'application/json' });
    log('bad json', j);
    const j2 = await post('/oauth/token', '{"__proto__": {"a":1}}', { 'content-type': 'application/json' });
    log('proto json', j2);
    const j3 = await post('/oauth/token', 'x', { 'content-type': 'text/plain' });
    log('text/plain', j3);
  });

  it('refresh burned by invalid_scope', async () => {
    const t0 = await codeFlowTokens(app, {
      clientId: 'demo-spa',
      scope: 'customers:read customers:profile',
      username: 'demo',
      password,
    });
    log('code flow', t0.status);
    const bad = await refresh(t0.body.refresh_token, { scope: 'customers:banking' });
    log('invalid scope refresh', bad.status, bad.body);
    const retry = await refresh(t0.body.refresh_token);
    log('retry same token', retry.status, retry.body);
    const at = await api(app, '/customers?limit=1', t0.body.access_token);
    log('original access token after retry', at.status);
  });
});
