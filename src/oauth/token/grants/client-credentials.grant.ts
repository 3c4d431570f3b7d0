import { Injectable } from '@nestjs/common';
import { ApisService, scopesForResources } from '../../../apis/apis.service';
import { ClientsService } from '../../../clients/clients.service';
import { grantScopes, parseScope } from '../../../protocol/scope-syntax';
import { TokensService } from '../../../tokens/tokens.service';
import { InvalidScopeError } from '../../../protocol/errors';
import { clientOwnScopes } from '../../../protocol/oidc-scopes';
import type { GrantContext, GrantHandler, TokenResponse } from './grant-handler';

/** RFC 6749 §4.4: the client acts on its own behalf; no refresh token (§4.4.3). */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';

  constructor(
    private readonly clients: ClientsService,
    private readonly tokens: TokensService,
    private readonly apis: ApisService,
  ) {}

  async handle({ client, params, resources, meta, events }: GrantContext): Promise<TokenResponse> {
    const requested = params.scope === undefined ? undefined : parseScope(params.scope);
    if (requested === undefined && params.scope !== undefined)
      throw new InvalidScopeError('The scope parameter is malformed');
    // RFC 8707 §2: a token for named resources carries only their scopes, with them as `aud`.
    const target = await this.apis.resolve(resources);
    const own = clientOwnScopes(await this.clients.allowedScopes(client));
    const allowed = new Set(scopesForResources([...own], target));
    const scopes = grantScopes(requested, allowed);
    if (!scopes) {
      const outside = requested!.filter((s) => !allowed.has(s));
      const why = target.scopes ? 'for this client and resource' : 'for this client';
      throw new InvalidScopeError(`Scope not allowed ${why}: ${outside.join(' ')}`);
    }
    if (scopes.length === 0)
      throw new InvalidScopeError(
        target.scopes
          ? 'This client has no scopes it may request for this resource'
          : 'This client has no scopes it may request',
      );
    const issued = await this.tokens.issueAccessToken({
      client,
      subject: client.clientId,
      scopes,
      grantType: this.grantType,
      audience: resources.length ? target.audience : undefined,
      meta,
      events,
    });
    return {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: issued.scope,
    };
  }
}
