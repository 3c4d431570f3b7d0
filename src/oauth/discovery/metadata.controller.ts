import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@scopegate/nest';
import { ACCESS_TOKEN_ALGORITHMS } from '../../tokens/access-token-verifier';
import type { AppConfig } from '../../config/env';
import { KeysService } from '../../keys/keys.service';
import { ScopesService } from '../../scopes/scopes.service';
import { GRANT_HANDLERS, type GrantHandler } from '../token/grants/grant-handler';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../../protocol/client-auth-methods';

@ApiTags('oauth')
@Public()
@Controller('.well-known')
export class MetadataController {
  /** The grant types of the registered grant handlers: what the token endpoint really accepts. */
  private readonly grantTypes: string[];

  constructor(
    private readonly keys: KeysService,
    private readonly scopes: ScopesService,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
    @Inject(GRANT_HANDLERS) handlers: GrantHandler[],
  ) {
    this.grantTypes = handlers.map((h) => h.grantType);
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({
    schema: {
      example: { issuer: 'http://localhost:3000', token_endpoint: 'http://localhost:3000/oauth/token' },
    },
  })
  oauthMetadata() {
    return this.metadata();
  }

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'The same metadata under its OpenID Connect Discovery name' })
  openidConfiguration() {
    return this.metadata();
  }

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({ summary: 'Public signing keys (RFC 7517 JWK Set)' })
  @ApiOkResponse({
    schema: {
      example: { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }] },
    },
  })
  jwks() {
    return this.keys.jwks();
  }

  /** RFC 8414 §2: only what is implemented is advertised. */
  private async metadata() {
    const issuer = this.config.get('ISSUER', { infer: true });
    const { scopes } = await this.scopes.catalog();
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      userinfo_endpoint: `${issuer}/oauth/userinfo`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
      introspection_endpoint: `${issuer}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: [
        ...TOKEN_ENDPOINT_AUTH_METHODS.filter((m) => m !== 'none'),
        'bearer',
      ],
      scopes_supported: [...scopes.keys()].sort(),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      // RFC 7636 / RFC 9700 §2.1.1: S256 only, required.
      code_challenge_methods_supported: ['S256'],
      // RFC 9207: every authorization response carries iss.
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.keys.signingKey().alg],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'at_hash',
        'name',
        'preferred_username',
        'updated_at',
        'email',
        'email_verified',
      ],
      prompt_values_supported: ['none', 'login', 'consent'],
      grant_types_supported: this.grantTypes,
      token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
      service_documentation: `${issuer}/docs`,
      // RFC 8707 `resource` at the token and authorization endpoints (not a registered metadata name).
      resource_indicators_supported: true,
      // RFC 9068 access tokens: the algorithms resource servers must accept.
      access_token_signing_alg_values_supported: ACCESS_TOKEN_ALGORITHMS,
    };
  }
}
