import { Body, Controller, Header, HttpCode, Inject, Optional, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApisService } from '../../apis/apis.service';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import { ClientsService } from '../../clients/clients.service';
import { audiences } from '@scopegate/nest/core';
import { RESOURCE_SERVER_SCOPE } from '../../scopes/built-in';
import { Public } from '@scopegate/nest';
import { bearerTokenOf } from '@scopegate/nest/core';
import { Meta, type RequestMeta } from '../../platform/http/request-meta';
import { AccessTokenVerifier } from '../../tokens/access-token-verifier';
import { RevocationService } from '../../tokens/revocation.service';
import { ClientAuthenticator } from '../token/client-authenticator';
import { ClientAuthenticationResponses } from '../token/client-auth.responses';
import {
  IntrospectionRequestDto,
  IntrospectionResponseDto,
  RevocationRequestDto,
} from './token-lifecycle.dto';
import {
  InvalidClientError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
} from '../../protocol/errors';
import { singleValuedParams } from '../../protocol/token-params';

/**
 * Handles opaque refresh tokens for revocation and introspection; provided by the refresh-token grant
 * when it is installed. Returns undefined when the value is not one of its tokens.
 */
export interface RefreshTokenLifecycle {
  revoke(token: string, clientId: string, meta: RequestMeta): Promise<boolean>;
  introspect(token: string): Promise<Record<string, unknown> | undefined>;
}
export const REFRESH_TOKEN_LIFECYCLE = Symbol('REFRESH_TOKEN_LIFECYCLE');

interface Caller {
  clientId: string;
  /** May see every client's tokens (an admin-scoped bearer token). */
  admin: boolean;
  /** The APIs this client serves (a resource server): it may see their tokens too (RFC 8707 audiences). */
  serves: ReadonlySet<string>;
  events: AuditEventInput[];
}

@ApiTags('oauth')
@Public()
@Controller('oauth')
export class TokenLifecycleController {
  constructor(
    private readonly authenticator: ClientAuthenticator,
    private readonly verifier: AccessTokenVerifier,
    private readonly revocations: RevocationService,
    private readonly audit: AuditService,
    private readonly clients: ClientsService,
    private readonly apis: ApisService,
    @Optional() @Inject(REFRESH_TOKEN_LIFECYCLE) private readonly refresh?: RefreshTokenLifecycle,
  ) {}

  /**
   * RFC 7009. The client authenticates; it may revoke only its own tokens; an unknown, invalid or
   * foreign token is answered 200 all the same (§2.2) and nothing happens. The hint is a hint (§2.1).
   */
  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Token revocation (RFC 7009): access or refresh tokens of the authenticated client',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: RevocationRequestDto })
  @ApiOkResponse({ description: 'Revoked, or nothing to revoke (the answer is the same)' })
  @ApiUnauthorizedResponse({ description: 'invalid_client' })
  @ClientAuthenticationResponses()
  async revoke(@Req() req: FastifyRequest, @Body() body: unknown, @Meta() meta: RequestMeta): Promise<void> {
    const params = singleValuedParams(body);
    const { client, event } = await this.authenticator.authenticate(
      req.headers.authorization,
      params,
      headerOf(req, 'x-api-key'),
      meta,
    );
    const token = params.token;
    if (!token) throw new InvalidRequestError('token is required');
    const hint = params.token_type_hint;
    const tryAccess = async () => {
      const verified = await this.verifier.identify(token, { allowExpired: true, anyAudience: true });
      if (!verified || verified.claims.client_id !== client.clientId) return false;
      await this.revocations.revoke(
        { jti: verified.claims.jti },
        'revoked by client (RFC 7009)',
        { actor: client.clientId, clientId: client.clientId },
        meta,
      );
      return true;
    };
    const tryRefresh = async () => (this.refresh ? this.refresh.revoke(token, client.clientId, meta) : false);
    const done =
      hint === 'refresh_token'
        ? (await tryRefresh()) || (await tryAccess())
        : (await tryAccess()) || (await tryRefresh());
    await this.audit.commit([
      event,
      {
        type: done ? 'token.revocation_requested' : 'token.revocation_ignored',
        outcome: 'success',
        actor: client.clientId,
        clientId: client.clientId,
        details: { token_type_hint: hint?.slice(0, 32), found: done },
        meta,
      },
    ]);
  }

  /**
   * RFC 7662. The caller authenticates as a client (it sees its own tokens) or with an access token
   * carrying `admin` (it sees all); a resource server (scope scopegate:resource-server) also sees the
   * tokens meant for the APIs it serves (`aud`, RFC 8707). A live token gets its metadata; anything else only
   * `{"active": false}` (§2.2) — expired, revoked, forged, garbage, or another client's.
   */
  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'Token introspection (RFC 7662)' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: IntrospectionRequestDto })
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiUnauthorizedResponse({ description: 'invalid_client, or invalid_token for a bearer caller' })
  @ClientAuthenticationResponses()
  async introspect(
    @Req() req: FastifyRequest,
    @Body() body: unknown,
    @Meta() meta: RequestMeta,
  ): Promise<Record<string, unknown>> {
    const params = singleValuedParams(body);
    const caller = await this.caller(req, params, meta);
    const token = params.token;
    if (!token) throw new InvalidRequestError('token is required');

    let answer: Record<string, unknown> = { active: false };
    const verified = await this.verifier.identify(token, { anyAudience: true });
    const visible =
      verified &&
      (caller.admin ||
        verified.claims.client_id === caller.clientId ||
        audiences(verified.claims).some((a) => caller.serves.has(a)));
    if (verified && visible) {
      const { claims } = verified;
      answer = {
        active: true,
        scope: claims.scope,
        client_id: claims.client_id,
        sub: claims.sub,
        aud: claims.aud,
        iss: claims.iss,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        token_type: 'Bearer',
      };
    } else if (!verified && this.refresh) {
      const r = await this.refresh.introspect(token);
      if (r && (caller.admin || r.client_id === caller.clientId)) answer = r;
    }
    await this.audit.commit([
      ...caller.events,
      {
        type: 'token.introspected',
        outcome: 'success',
        actor: caller.clientId,
        clientId: caller.clientId,
        jti: typeof answer.jti === 'string' ? answer.jti : null,
        details: { active: answer.active, token_type_hint: params.token_type_hint?.slice(0, 32) },
        meta,
      },
    ]);
    return answer;
  }

  private async caller(
    req: FastifyRequest,
    params: Record<string, string>,
    meta: RequestMeta,
  ): Promise<Caller> {
    const bearer = bearerTokenOf(req);
    if (bearer !== undefined) {
      const verified = bearer ? await this.verifier.identify(bearer) : undefined;
      if (!verified) throw new InvalidTokenError('The access token is invalid, expired or revoked');
      if (!verified.claims.scope.split(' ').includes('admin')) throw new InsufficientScopeError(['admin']);
      return { clientId: verified.claims.client_id, admin: true, serves: new Set(), events: [] };
    }
    const { client, event } = await this.authenticator.authenticate(
      req.headers.authorization,
      params,
      headerOf(req, 'x-api-key'),
      meta,
    );
    if (client.tokenEndpointAuthMethod === 'none') {
      // RFC 7662 §2.1: the endpoint is protected; a public client proves nothing about itself.
      throw new InvalidClientError('Public clients may not introspect tokens', 'public client', 'none');
    }
    const serves = (await this.clients.allowedScopes(client)).has(RESOURCE_SERVER_SCOPE)
      ? new Set(await this.apis.identifiersServedBy(client.clientId))
      : new Set<string>();
    return { clientId: client.clientId, admin: false, serves, events: [event] };
  }
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  if (Array.isArray(v)) throw new InvalidRequestError(`${name} is included more than once`);
  return v;
}
