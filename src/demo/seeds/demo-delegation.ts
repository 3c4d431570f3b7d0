import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientsService } from '../../clients/clients.service';
import { validateRedirectUri } from '../../protocol/redirect-uri';
import { randomSecret } from '../../platform/crypto';
import type { AppConfig } from '../../config/env';
import { UsersService } from '../../users/users.service';

export const DEMO_PUBLIC_CLIENT_ID = 'demo-spa';
export const DEMO_USERNAME = 'demo';
export const DEMO_USER_ROLE = 'manager';
/** Fixed verifier of the README's copy-pasteable authorization URL (a demo only: real clients make a fresh one). */
export const DEMO_CODE_VERIFIER = 'scopegate-demo-code-verifier-0123456789abcdefghij';

export interface DemoDelegation {
  clientCreated: boolean;
  user?: { username: string; password: string };
}

/**
 * The demo of user-delegated access: a public client (PKCE, no secret) whose redirect URIs include a
 * local callback and Swagger UI's redirect page, and a demo user whose password is generated and shown
 * once, like the demo clients' secrets.
 */
@Injectable()
export class DemoDelegationSeeder {
  constructor(
    private readonly clients: ClientsService,
    private readonly users: UsersService,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async seed(): Promise<DemoDelegation> {
    const issuer = this.config.get('ISSUER', { infer: true });
    const out: DemoDelegation = { clientCreated: false };
    if (!(await this.clients.findById(DEMO_PUBLIC_CLIENT_ID))) {
      const swaggerRedirect = `${issuer}/docs/oauth2-redirect.html`;
      const redirectUris = ['http://127.0.0.1:8080/callback', 'http://localhost:8080/callback'];
      if (!validateRedirectUri(swaggerRedirect)) redirectUris.push(swaggerRedirect);
      await this.clients.create(
        {
          client_name: 'Demo single-page app',
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'none',
          redirect_uris: redirectUris,
          role: DEMO_USER_ROLE,
        },
        { sub: 'system' },
        undefined,
        { clientId: DEMO_PUBLIC_CLIENT_ID },
      );
      out.clientCreated = true;
    }
    if (!(await this.users.findByUsername(DEMO_USERNAME))) {
      const password = randomSecret(12);
      await this.users.create(
        {
          username: DEMO_USERNAME,
          password,
          name: 'Demo User',
          email: 'demo@example.com',
          roles: [DEMO_USER_ROLE],
          simple_login: true, // POST /auth, when SIMPLE_LOGIN is on (README)
        },
        { sub: 'system' },
      );
      out.user = { username: DEMO_USERNAME, password };
    }
    return out;
  }

  /** Prints, once, the demo user's password and a ready authorization URL. */
  announce(seeded: DemoDelegation): void {
    if (!seeded.user) return;
    const issuer = this.config.get('ISSUER', { infer: true });
    if (this.config.get('EMBEDDED_DATABASE', { infer: true })) {
      const file = join(this.config.get('DATA_DIR', { infer: true }), 'demo-user.json');
      writeFileSync(file, JSON.stringify(seeded.user, null, 2), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    const lines = [
      '',
      `Demo user created (shown this once; zero-setup mode also keeps it in DATA_DIR/demo-user.json):`,
      `  username=${seeded.user.username}  password=${seeded.user.password}`,
      '',
      `Sign in as the demo user with the public client ${DEMO_PUBLIC_CLIENT_ID} (authorization code + PKCE), see README:`,
      `  ${demoAuthorizationUrl(issuer)}`,
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
}

/** The README's demo authorization URL (S256 challenge of DEMO_CODE_VERIFIER). */
export function demoAuthorizationUrl(issuer: string): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: DEMO_PUBLIC_CLIENT_ID,
    redirect_uri: 'http://127.0.0.1:8080/callback',
    scope: 'openid profile customers:read customers:profile',
    state: 'demo-state',
    code_challenge: 'rEioyW3sGQkGNsAGtmIzIaEqlQePEsAk6UL8dE15vaI',
    code_challenge_method: 'S256',
  });
  return `${issuer}/oauth/authorize?${q.toString()}`;
}
