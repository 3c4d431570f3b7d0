import { Injectable } from '@nestjs/common';
import type { AuditEventInput } from '../../../audit/audit.service';
import type { ClientEntity } from '../../../clients/client.entity';
import type { RequestMeta } from '../../../platform/http/request-meta';
import { TokensService } from '../../../tokens/tokens.service';
import type { UserEntity } from '../../../users/user.entity';
import { IdTokenService } from '../../oidc/id-token.service';
import type { TokenResponse } from './grant-handler';

export interface UserTokensRequest {
  client: ClientEntity;
  user: UserEntity;
  /** The scopes of the grant (an ID token is issued when they include `openid`). */
  scopes: string[];
  /** The access token's scopes when narrower than the grant's (RFC 8707 resources). */
  accessScopes?: string[];
  /** The access token's `aud` (RFC 8707 resources); the default audience when absent. */
  audience?: string[];
  grantType: string;
  /** The code's grant id = the refresh family: `tokens.grant_id` of the access token. */
  grantId: string;
  authTime: Date;
  nonce?: string;
  refreshToken?: string;
  meta: RequestMeta;
  events: AuditEventInput[];
}

/** The token response of the user grants: access token, refresh token, and an ID token for `openid`. */
@Injectable()
export class UserTokenIssuer {
  constructor(
    private readonly tokens: TokensService,
    private readonly idTokens: IdTokenService,
  ) {}

  async issue(req: UserTokensRequest): Promise<TokenResponse> {
    const issued = await this.tokens.issueAccessToken({
      client: req.client,
      subject: req.user.id,
      scopes: req.accessScopes ?? req.scopes,
      audience: req.audience,
      grantType: req.grantType,
      grantId: req.grantId,
      meta: req.meta,
      events: req.events,
    });
    const response: TokenResponse = {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: issued.scope,
    };
    if (req.refreshToken) response.refresh_token = req.refreshToken;
    if (req.scopes.includes('openid')) {
      response.id_token = await this.idTokens.sign({
        client: req.client,
        subject: req.user.id,
        authTime: req.authTime,
        nonce: req.nonce,
        accessToken: issued.accessToken,
      });
    }
    return response;
  }
}
