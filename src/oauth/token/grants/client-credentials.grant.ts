import { Injectable } from '@nestjs/common';
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
  ) {}

  async handle({ client, params, meta, events }: GrantContext): Promise<TokenResponse> {
    const requested = params.scope === undefined ? undefined : parseScope(params.scope);
    if (requested === undefined && params.scope !== undefined)
      throw new InvalidScopeError('The scope parameter is malformed');
    const allowed = new Set(clientOwnScopes(await this.clients.allowedScopes(client)));
    const scopes = grantScopes(requested, allowed);
    if (!scopes) {
      const outside = requested!.filter((s) => !allowed.has(s));
      throw new InvalidScopeError(`Scope not allowed for this client: ${outside.join(' ')}`);
    }
    if (scopes.length === 0) throw new InvalidScopeError('This client has no scopes it may request');
    const issued = await this.tokens.issueAccessToken({
      client,
      subject: client.clientId,
      scopes,
      grantType: this.grantType,
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
