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
import { Public } from '../../resource-server/decorators';
import type { ClientEntity } from '../../clients/client.entity';
import { ClientsService } from '../../clients/clients.service';
import { Meta, type RequestMeta } from '../../platform/http/request-meta';
import { TokensService } from '../../tokens/tokens.service';
import { UsersService } from '../../users/users.service';
import { LoginThrottle } from './login-throttle';
import { parseBasic } from '../token/client-authenticator';
import { TokenErrorDto } from '../token/token.dto';
import { InvalidClientError, InvalidRequestError } from '../../protocol/errors';

/** The `client_id` of tokens that users obtain at POST /auth (no third-party client is involved). */
export const SIMPLE_LOGIN_CLIENT_ID = 'scopegate:auth';
const OIDC_USER_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

class SimpleLoginResponseDto {
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 300 }) expires_in: number;
  @ApiProperty({ example: 'customers:read customers:profile' }) scope: string;
  @ApiProperty({ example: '8d6f…', description: 'The request id (X-Request-Id), also the token’s txn claim' })
  transaction_id: string;
}

/** HTTP Basic as sent by browsers and curl (RFC 7617): user-id and password, not form-encoded. */
function rawBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header ? /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // A NUL cannot be in a stored username or client id; treat such a header as malformed.
  if (colon < 0 || decoded.includes('\u0000')) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * `POST /auth`, the simple login of API gateways' login pipelines: HTTP Basic with a user's
 * or a confidential client's credentials, or `X-API-Key` alone. The JWT comes back in the
 * `Authorization` response header; failures answer 401 in the token endpoint's error shape.
 */
@ApiTags('oauth')
@Public()
@Controller('auth')
export class SimpleLoginController {
  constructor(
    private readonly clients: ClientsService,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly throttle: LoginThrottle,
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
      'when a username equals a client id); or `X-API-Key` alone for a client with an API key.',
  })
  @ApiHeader({ name: 'X-API-Key', required: false })
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
    const raw = rawBasic(req.headers.authorization);
    if (!raw && /^Basic\b/i.test(req.headers.authorization ?? ''))
      throw new InvalidClientError('Malformed HTTP Basic credentials');

    let issued: { accessToken: string; expiresIn: number; scope: string };
    if (raw) {
      const client = raw.id.length <= 128 ? await this.clients.findById(raw.id) : null;
      issued =
        client && client.tokenEndpointAuthMethod !== 'none'
          ? await this.asClient(client, req.headers.authorization, apiKey, meta)
          : await this.asUser(raw.id, raw.secret, meta);
    } else if (apiKey !== undefined) {
      const client = await this.clients.findByApiKey(apiKey);
      if (!client) {
        await this.clientFailed(undefined, 'unknown API key', meta);
        throw new InvalidClientError('Authentication failed', 'unknown API key', 'none');
      }
      issued = await this.issueForClient(client, 'api_key', meta);
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

  private async asClient(
    client: ClientEntity,
    header: string | undefined,
    apiKey: string | undefined,
    meta: RequestMeta,
  ) {
    let secret: string | undefined;
    try {
      secret = parseBasic(header)?.secret;
    } catch {
      secret = undefined;
    }
    let reason: string | undefined;
    if (secret === undefined || !this.clients.verifySecret(client, secret)) reason = 'wrong secret';
    else if (client.status !== 'active') reason = 'client disabled';
    else if (client.requireApiKey && !this.clients.verifyApiKey(client, apiKey))
      reason = apiKey === undefined ? 'missing API key' : 'wrong API key';
    if (reason) {
      await this.clientFailed(client.clientId, reason, meta);
      throw new InvalidClientError('Authentication failed', reason);
    }
    return this.issueForClient(client, 'client_secret_basic', meta);
  }

  private async issueForClient(client: ClientEntity, method: string, meta: RequestMeta) {
    if (client.status !== 'active' || !client.grantTypes.includes('client_credentials')) {
      await this.clientFailed(client.clientId, 'client disabled or without client_credentials', meta);
      throw new InvalidClientError('Authentication failed', 'client may not log in', 'none');
    }
    const scopes = [...(await this.clients.allowedScopes(client))].filter((s) => !OIDC_USER_SCOPES.has(s));
    return this.tokens.issueAccessToken({
      client,
      subject: client.clientId,
      scopes,
      grantType: 'client_credentials',
      meta,
      events: [
        {
          type: 'client.authenticated',
          outcome: 'success',
          actor: client.clientId,
          clientId: client.clientId,
          subject: client.clientId,
          details: { method, via: 'auth' },
          meta,
        },
      ],
    });
  }

  private async asUser(username: string, password: string, meta: RequestMeta) {
    const failed = (reason: string) =>
      this.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        details: { username: username.slice(0, 64), reason, via: 'auth' },
        meta,
      });
    const retryAfter = this.throttle.retryAfter(username, meta.ip);
    if (retryAfter > 0) {
      await failed('throttled');
      const err = new InvalidClientError('Too many failed attempts; try again later', 'throttled');
      err.headers['Retry-After'] = String(retryAfter);
      throw err;
    }
    const { user, reason } = await this.users.verifyCredentials(username, password);
    if (!user) {
      this.throttle.failed(username, meta.ip);
      await failed(reason ?? 'invalid credentials');
      throw new InvalidClientError('Authentication failed', reason);
    }
    this.throttle.succeeded(username);
    const scopes = [...(await this.users.scopesOf(user))];
    // No third-party client is involved: the server itself is the client of this token.
    const self = { clientId: SIMPLE_LOGIN_CLIENT_ID, accessTokenTtl: null } as ClientEntity;
    return this.tokens.issueAccessToken({
      client: self,
      subject: user.id,
      scopes,
      grantType: 'password_login',
      meta,
      events: [
        {
          type: 'login.succeeded',
          outcome: 'success',
          actor: user.id,
          subject: user.id,
          clientId: SIMPLE_LOGIN_CLIENT_ID,
          details: { username: user.username, via: 'auth' },
          meta,
        },
      ],
    });
  }

  private clientFailed(clientId: string | undefined, reason: string, meta: RequestMeta) {
    return this.audit.record({
      type: 'client.authentication_failed',
      outcome: 'failure',
      actor: clientId ?? null,
      clientId: clientId ?? null,
      details: { reason, via: 'auth' },
      meta,
    });
  }
}
