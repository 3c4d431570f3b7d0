import { Controller, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../../audit/audit.service';
import { Public } from '@scopegate/nest';
import type { ClientEntity } from '../../clients/client.entity';
import { ClientsService } from '../../clients/clients.service';
import { Meta, type RequestMeta } from '../../platform/http/request-meta';
import { TokensService } from '../../tokens/tokens.service';
import { UsersService } from '../../users/users.service';
import { isMalformed, parseBasic } from '../../protocol/basic-auth';
import { InvalidClientError, InvalidRequestError } from '../../protocol/errors';
import { clientOwnScopes } from '../../protocol/oidc-scopes';
import { ClientAuthenticator, type AuthenticatedClient } from '../token/client-authenticator';
import { TokenErrorDto } from '../token/token.dto';
import { LoginService } from './login.service';
import { ClientAuthenticationResponses } from '../token/client-auth.responses';

/** The `client_id` of tokens that users obtain at POST /auth (no third-party client is involved). */
export const SIMPLE_LOGIN_CLIENT_ID = 'scopegate:auth';
/** `details.via` of this endpoint's audit events. */
const VIA = 'auth';

class SimpleLoginResponseDto {
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 300 }) expires_in: number;
  @ApiProperty({ example: 'customers:read customers:profile' }) scope: string;
  @ApiProperty({ example: '8d6f…', description: 'The request id (X-Request-Id), also the token’s txn claim' })
  transaction_id: string;
}

/**
 * `POST /auth`, the simple login of API gateways' login pipelines: HTTP Basic with a user's
 * or a confidential client's credentials, or `X-API-Key` alone. The JWT comes back in the
 * `Authorization` response header; failures answer 401 in the token endpoint's error shape.
 *
 * It is a password grant (RFC 9700 §2.4 says it must not be used), so it is fenced in: mounted only
 * when SIMPLE_LOGIN is on (OAuthModule.forRoot), and open only to clients and users registered with
 * `simple_login`; the API key alone only to clients registered with `api_key_login`. Clients are
 * authenticated exactly as at the token endpoint (registered method; secret and API key together
 * when the client requires a key).
 */
@ApiTags('oauth')
@Public()
@Controller('auth')
export class SimpleLoginController {
  constructor(
    private readonly clients: ClientsService,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly authenticator: ClientAuthenticator,
    private readonly userLogin: LoginService,
    private readonly audit: AuditService,
  ) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary: 'Simple login: returns an access token in the Authorization response header',
    description:
      "HTTP Basic with a user's username and password, or a confidential client's id and secret (clients win " +
      'when a username equals a client id), plus `X-API-Key` for clients registered with require_api_key; or ' +
      '`X-API-Key` alone for clients registered with api_key_login. Only for clients and users registered ' +
      'with simple_login; absent when SIMPLE_LOGIN is off. A password grant (RFC 9700 §2.4): prefer the ' +
      'token endpoint.',
  })
  @ApiHeader({ name: 'X-API-Key', required: false })
  @ClientAuthenticationResponses()
  @ApiOkResponse({
    type: SimpleLoginResponseDto,
    headers: { Authorization: { description: 'Bearer <JWT>' } },
  })
  @ApiUnauthorizedResponse({ type: TokenErrorDto })
  async login(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Meta() meta: RequestMeta,
  ): Promise<SimpleLoginResponseDto> {
    const apiKey = req.headers['x-api-key'];
    if (Array.isArray(apiKey)) throw new InvalidRequestError('X-API-Key is included more than once');
    // Users send RFC 7617 Basic (any characters, not form-encoded); clients are then authenticated
    // as at the token endpoint, RFC 6749 §2.3.1.
    const basic = parseBasic(req.headers.authorization, 'raw');
    if (isMalformed(basic)) throw new InvalidClientError('Malformed HTTP Basic credentials', basic.malformed);

    let issued: { accessToken: string; expiresIn: number; scope: string };
    if (basic) {
      // A client id is looked up as the authenticator will read it: form-urlencoded (RFC 6749 §2.3.1).
      const asClient = parseBasic(req.headers.authorization, 'form-urlencoded');
      const clientId = asClient && !isMalformed(asClient) ? asClient.id : undefined;
      const client = clientId && clientId.length <= 128 ? await this.clients.findById(clientId) : null;
      issued =
        client && client.tokenEndpointAuthMethod !== 'none'
          ? await this.issueForClient(
              await this.authenticator.authenticate(req.headers.authorization, {}, apiKey, meta, VIA),
              meta,
            )
          : await this.asUser(basic.id, basic.secret, meta);
    } else if (apiKey !== undefined) {
      const authenticated = await this.authenticator.authenticateApiKey(apiKey, meta, VIA);
      if (!authenticated.client.apiKeyLogin) {
        await this.authenticator.refuse(
          authenticated.client.clientId,
          'client not registered for API-key login',
          meta,
          VIA,
        );
      }
      issued = await this.issueForClient(authenticated, meta);
    } else {
      throw new InvalidClientError('Send HTTP Basic credentials (a user or a client) or X-API-Key');
    }
    void reply.header('authorization', `Bearer ${issued.accessToken}`);
    return {
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: issued.scope,
      transaction_id: meta.requestId,
    };
  }

  /** A client logs in for itself: a client_credentials token with all its own scopes. */
  private async issueForClient({ client, event }: AuthenticatedClient, meta: RequestMeta) {
    if (!client.simpleLogin) {
      await this.authenticator.refuse(client.clientId, 'client not registered for simple login', meta, VIA);
    }
    if (!client.grantTypes.includes('client_credentials')) {
      await this.authenticator.refuse(client.clientId, 'client without client_credentials', meta, VIA);
    }
    return this.tokens.issueAccessToken({
      client,
      subject: client.clientId,
      scopes: clientOwnScopes(await this.clients.allowedScopes(client)),
      grantType: 'client_credentials',
      meta,
      events: [event],
    });
  }

  private async asUser(username: string, password: string, meta: RequestMeta) {
    const result = await this.userLogin.signIn(username, password, {
      via: VIA,
      clientId: SIMPLE_LOGIN_CLIENT_ID,
      meta,
    });
    if (!result.user) {
      if (result.retryAfter === undefined)
        throw new InvalidClientError('Authentication failed', result.reason);
      const err = new InvalidClientError('Too many failed attempts; try again later', result.reason);
      err.headers['Retry-After'] = String(result.retryAfter);
      throw err;
    }
    const { user, event } = result;
    if (!user.simpleLogin) {
      // Answered as a wrong password would be: the response says nothing about the password.
      const reason = 'simple login not enabled for the user';
      await this.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        actor: null,
        subject: user.id,
        clientId: SIMPLE_LOGIN_CLIENT_ID,
        details: { username: user.username, reason, via: VIA },
        meta,
      });
      throw new InvalidClientError('Authentication failed', reason);
    }
    // No third-party client is involved: the server itself is the client of this token.
    const self = { clientId: SIMPLE_LOGIN_CLIENT_ID, accessTokenTtl: null } as ClientEntity;
    return this.tokens.issueAccessToken({
      client: self,
      subject: user.id,
      scopes: [...(await this.users.scopesOf(user))],
      grantType: 'password_login',
      meta,
      events: [event],
    });
  }
}
