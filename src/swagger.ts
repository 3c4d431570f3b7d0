import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { CLAIM_CATEGORY_EXTENSION } from '@scopegate/nest';
import type { AppConfig } from './config/env';
import { ScopesService } from './scopes/scopes.service';

/**
 * Swagger UI at /docs, the OpenAPI document at /docs-json. The `oauth2` scheme's client-credentials
 * flow lets a person click *Authorize* with a demo client's id and secret and try every endpoint.
 */
export async function setupSwagger(app: INestApplication, config: AppConfig): Promise<void> {
  const { scopes } = await app.get(ScopesService).catalog();
  const scopeDescriptions = Object.fromEntries([...scopes.values()].map((s) => [s.name, s.description]));
  const doc = new DocumentBuilder()
    .setTitle('Scopegate')
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .setDescription(
      'OAuth 2.0 authorization server and scope-guarded customer-data API. Tokens are RFC 9068 JWTs; ' +
        'each caller sees only the fields its scopes grant.\n\n' +
        'Click **Authorize**, enter a client id and secret (zero-setup mode prints demo ones at first start ' +
        'and keeps them in `.data/demo-clients.json`), pick scopes, and try the endpoints. Or sign in as a ' +
        'person with the **authorizationCode** flow: client id `demo-spa` (no secret, PKCE) and the demo user ' +
        'printed at first start (`.data/demo-user.json`).',
    )
    .addOAuth2(
      {
        type: 'oauth2',
        description: 'OAuth 2.0 (RFC 6749) with RFC 9068 JWT access tokens',
        flows: {
          clientCredentials: { tokenUrl: `${config.ISSUER}/oauth/token`, scopes: scopeDescriptions },
          // A person signs in: the demo public client `demo-spa` (no secret), PKCE S256.
          authorizationCode: {
            authorizationUrl: `${config.ISSUER}/oauth/authorize`,
            tokenUrl: `${config.ISSUER}/oauth/token`,
            refreshUrl: `${config.ISSUER}/oauth/token`,
            scopes: scopeDescriptions,
          },
        },
      },
      'oauth2',
    )
    .build();
  const base = SwaggerModule.createDocument(app, doc);
  const scopesService = app.get(ScopesService);
  SwaggerModule.setup('docs', app, base, {
    jsonDocumentUrl: 'docs-json',
    // The scope catalog is data: scopes added after start-up appear in *Authorize* and in the field notes.
    patchDocumentOnRequest: (_req, _res, document) => withCurrentCatalog(document, scopesService),
    customSiteTitle: 'Scopegate API',
    swaggerOptions: {
      persistAuthorization: false,
      displayRequestDuration: true,
      // Swagger UI's own redirect page (registered for the demo public client) receives the code.
      oauth2RedirectUrl: `${config.ISSUER}/docs/oauth2-redirect.html`,
      initOAuth: { usePkceWithAuthorizationCodeGrant: true },
    },
  });
}

async function withCurrentCatalog(base: OpenAPIObject, scopes: ScopesService): Promise<OpenAPIObject> {
  const document = structuredClone(base);
  const catalog = await scopes.catalog();
  const descriptions = Object.fromEntries([...catalog.scopes.values()].map((s) => [s.name, s.description]));
  const oauth2 = document.components?.securitySchemes?.oauth2 as {
    flows?: Record<string, { scopes: object }>;
  };
  for (const flow of Object.values(oauth2?.flows ?? {})) flow.scopes = descriptions;
  await describeClaimCategories(document, scopes);
  return document;
}

/** Each field marked with a claim category says in the docs which scope makes it visible. */
async function describeClaimCategories(document: OpenAPIObject, scopes: ScopesService): Promise<void> {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    const properties = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
    for (const prop of Object.values(properties)) {
      const category = prop[CLAIM_CATEGORY_EXTENSION];
      if (typeof category !== 'string') continue;
      const granting = await scopes.scopesGranting(category);
      const note = `Claim category \`${category}\`: present only when the token has ${granting.length ? granting.map((s) => `\`${s}\``).join(' or ') : 'a scope granting it'}.`;
      prop.description = prop.description ? `${prop.description} ${note}` : note;
    }
  }
}
