import { Body, Controller, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../../audit/audit.service';
import { Public } from '@scopegate/nest';
import { Meta, type RequestMeta } from '../../platform/http/request-meta';
import { ClientAuthenticator } from './client-authenticator';
import {
  OAuthError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  InvalidRequestError,
} from '../../protocol/errors';
import { GRANT_HANDLERS, type GrantHandler, type TokenResponse } from './grants/grant-handler';
import { ClientAuthenticationResponses } from './client-auth.responses';
import { TokenErrorDto, TokenRequestDto, TokenResponseDto } from './token.dto';
import { requestParams } from '../../protocol/token-params';
import { parseResources } from '../../protocol/resource-indicator';

@ApiTags('oauth')
@Controller('oauth')
export class TokenController {
  private readonly grants: Map<string, GrantHandler>;

  constructor(
    private readonly authenticator: ClientAuthenticator,
    private readonly audit: AuditService,
    @Inject(GRANT_HANDLERS) handlers: GrantHandler[],
  ) {
    this.grants = new Map(handlers.map((h) => [h.grantType, h]));
  }

  /**
   * RFC 6749 §3.2 token endpoint, as named steps: read the parameters, authenticate the client,
   * pick the grant, check the client may use it, run it.
   */
  @Post('token')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary: 'Token endpoint (RFC 6749 §3.2)',
    description:
      'Client authentication: HTTP Basic (`client_secret_basic`, the default) or `client_id` + `client_secret` in the body ' +
      '(`client_secret_post`), plus `X-API-Key` for clients registered with `require_api_key`. ' +
      "Requested scopes must lie within the client's role; none requested means all of them.",
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiHeader({
    name: 'X-API-Key',
    required: false,
    description: 'For clients registered with require_api_key',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({
    type: TokenErrorDto,
    description:
      'invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope, invalid_target (RFC 8707)',
  })
  @ApiUnauthorizedResponse({ type: TokenErrorDto, description: 'invalid_client (with WWW-Authenticate)' })
  @ClientAuthenticationResponses()
  async token(
    @Req() req: FastifyRequest,
    @Body() body: unknown,
    @Meta() meta: RequestMeta,
  ): Promise<TokenResponse> {
    const { single: params, repeated } = requestParams(body, ['resource']);
    const apiKey = req.headers['x-api-key'];
    if (Array.isArray(apiKey)) throw new InvalidRequestError('X-API-Key is included more than once');
    const { client, event } = await this.authenticator.authenticate(
      req.headers.authorization,
      params,
      apiKey,
      meta,
    );
    try {
      const grantType = params.grant_type;
      if (!grantType) throw new InvalidRequestError('grant_type is required');
      const handler = this.grants.get(grantType);
      if (!handler) throw new UnsupportedGrantTypeError(`Unsupported grant_type: ${grantType.slice(0, 64)}`);
      if (!client.grantTypes.includes(grantType)) {
        throw new UnauthorizedClientError(`This client may not use the ${grantType} grant`);
      }
      const resources = parseResources(repeated.resource);
      return await handler.handle({ client, params, resources, meta, events: [event] });
    } catch (err) {
      if (err instanceof OAuthError) {
        await this.audit.commit([
          event,
          {
            type: 'token.request_failed',
            outcome: 'failure',
            actor: client.clientId,
            clientId: client.clientId,
            details: {
              grant_type: params.grant_type?.slice(0, 64),
              error: err.error,
              error_description: err.description,
            },
            meta,
          },
        ]);
      }
      throw err;
    }
  }
}
