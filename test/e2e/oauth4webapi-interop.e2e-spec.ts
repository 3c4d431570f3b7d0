import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { authorizeFlow, CALLBACK, seedDelegation } from '../support/delegation';
import { seedDemo } from '../support/oauth';

/**
 * Interoperability proof: panva's oauth4webapi, a strict certified client, runs the whole code flow —
 * discovery, PKCE, RFC 9207 iss check, token response and ID token checks, userinfo, refresh.
 * Login and consent are driven with plain fetch and the session cookie.
 */
describe('interoperability with oauth4webapi', () => {
  let app: TestApp;
  let password: string;

  beforeAll(async () => {
    app = await startTestApp();
    await seedDemo(app);
    password = await seedDelegation(app);
  });
  afterAll(() => app?.stop());

  it('completes discovery, the code flow with PKCE, userinfo and a refresh', async () => {
    const insecure = { [oauth.allowInsecureRequests]: true }; // the test server speaks http on loopback
    const issuer = new URL(app.config.ISSUER);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
    );
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    const client: oauth.Client = { client_id: 'demo-spa' };
    const clientAuth = oauth.None();

    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: CALLBACK,
      scope: 'openid profile email customers:read',
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }).toString();

    const { redirect } = await authorizeFlow(app, Object.fromEntries(url.searchParams), {
      username: 'demo',
      password,
    });
    const callbackParams = oauth.validateAuthResponse(as, client, redirect, state);

    const tokenResponse = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      callbackParams,
      CALLBACK,
      codeVerifier,
      insecure,
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
    expect(result.token_type).toBe('bearer');
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims.aud).toBe('demo-spa');
    expect(claims.nonce).toBe(nonce);

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      claims.sub,
      await oauth.userInfoRequest(as, client, result.access_token, insecure),
    );
    expect(info).toMatchObject({ sub: claims.sub, preferred_username: 'demo', email: 'demo@example.com' });

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, result.refresh_token!, insecure),
    );
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(result.refresh_token);
    expect(refreshed.scope).toBe('customers:read email openid profile');
  });
});
