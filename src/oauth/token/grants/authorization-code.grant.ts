import { Injectable } from '@nestjs/common';
import { ApisService, scopesForResources } from '../../../apis/apis.service';
import { AuditService } from '../../../audit/audit.service';
import { Clock } from '../../../platform/clock';
import { formatScope } from '../../../protocol/scope-syntax';
import { ClientsService } from '../../../clients/clients.service';
import { UsersService } from '../../../users/users.service';
import type { AuthorizationCodeEntity } from '../../../tokens/codes/authorization-code.entity';
import { AuthorizationCodesService } from '../../../tokens/codes/authorization-codes.service';
import { verifyPkce } from '../../../protocol/pkce';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../../../protocol/errors';
import { RefreshTokensService } from '../../../tokens/refresh/refresh-tokens.service';
import type { GrantContext, GrantHandler, TokenResponse } from './grant-handler';
import { UserTokenIssuer } from './user-token-issuer';

const INVALID = 'The authorization code is invalid, expired or was already used';

/**
 * RFC 6749 §4.1.3 with RFC 7636 §4.6. Checks come in an order that makes a replay detectable only
 * when it is otherwise valid (OAuth 2.1 §7.5.2): a wrong client or verifier revokes nothing, a second
 * valid use revokes every token issued from the code (RFC 6749 §4.1.2, "SHOULD revoke").
 */
@Injectable()
export class AuthorizationCodeGrant implements GrantHandler {
  readonly grantType = 'authorization_code';

  constructor(
    private readonly codes: AuthorizationCodesService,
    private readonly users: UsersService,
    private readonly clients: ClientsService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly issuer: UserTokenIssuer,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly apis: ApisService,
  ) {}

  async handle({ client, params, resources, meta, events }: GrantContext): Promise<TokenResponse> {
    if (!params.code) throw new InvalidRequestError('code is required');
    const row = await this.codes.find(params.code);
    if (!row) throw new InvalidGrantError(INVALID, 'unknown code');
    if (row.clientId !== client.clientId)
      throw new InvalidGrantError(INVALID, 'code issued to another client');
    // RFC 6749 §4.1.3: required and identical when the authorization request included it.
    if (params.redirect_uri === undefined && row.redirectUriExplicit)
      throw new InvalidGrantError('redirect_uri is required: the authorization request included it');
    if (params.redirect_uri !== undefined && params.redirect_uri !== row.redirectUri)
      throw new InvalidGrantError('redirect_uri differs from the authorization request');
    // RFC 7636 §4.6; a verifier without a stored challenge is a downgrade attempt (RFC 9700 §2.1.1).
    const verifier = params.code_verifier;
    if (row.codeChallenge) {
      if (verifier === undefined) throw new InvalidGrantError('code_verifier is required (PKCE)');
      if (!verifyPkce(row.codeChallenge, verifier))
        throw new InvalidGrantError('code_verifier does not match the code_challenge');
    } else if (verifier !== undefined) {
      throw new InvalidGrantError('code_verifier sent, but the authorization request had no code_challenge');
    }

    // RFC 8707 §2.2: the token request may narrow the resources of the authorization request.
    const wanted = this.apis.withinGrant(resources, row.resources);
    const target = await this.apis.resolve(wanted);

    if (!(await this.codes.consume(row)))
      return this.replayed(row, { client, params, resources, meta, events });
    if (row.expiresAt.getTime() <= this.clock.now()) throw new InvalidGrantError(INVALID, 'code expired');

    const user = await this.users.findById(row.userId);
    if (!user || user.status !== 'active') throw new InvalidGrantError(INVALID, 'user disabled or deleted');
    // Rights withdrawn since the consent (the code lives 60 s) are not handed out: the same
    // intersection with the user's and client's current scopes as on refresh.
    const userScopes = await this.users.scopesOf(user);
    const clientScopes = await this.clients.allowedScopes(client);
    const scopes = row.scopes.filter((s) => userScopes.has(s) && clientScopes.has(s)).sort();
    if (scopes.length === 0)
      throw new InvalidGrantError(INVALID, 'none of the approved scopes is still allowed');
    const accessScopes = scopesForResources(scopes, target);
    if (accessScopes.length === 0)
      throw new InvalidScopeError('None of the approved scopes belongs to the requested resource');

    const refresh = client.grantTypes.includes('refresh_token')
      ? await this.refreshTokens.issue({
          familyId: row.grantId,
          clientId: client.clientId,
          userId: user.id,
          scopes,
          resources: row.resources,
          authTime: row.authTime,
        })
      : undefined;
    const response = await this.issuer.issue({
      client,
      user,
      scopes,
      accessScopes,
      audience: wanted.length ? target.audience : undefined,
      grantType: this.grantType,
      grantId: row.grantId,
      authTime: row.authTime,
      nonce: row.nonce ?? undefined,
      refreshToken: refresh?.token,
      meta,
      events: [
        ...events,
        {
          type: 'code.exchanged',
          outcome: 'success',
          actor: client.clientId,
          clientId: client.clientId,
          subject: user.id,
          details: { grant_id: row.grantId, scope: formatScope(scopes), refresh_token_issued: !!refresh },
          meta,
        },
      ],
    });
    // A replay may have raced this exchange and revoked the grant before these tokens were recorded:
    // revoke again so that they are covered too.
    if (await this.codes.wasReplayed(row)) {
      await this.refreshTokens.revokeGrants(
        { grantId: row.grantId },
        'authorization code replayed',
        { sub: 'system' },
        meta,
      );
    }
    return response;
  }

  /** A second valid use: the code leaked. Revoke the grant (access and refresh tokens), then refuse. */
  private async replayed(row: AuthorizationCodeEntity, { client, meta }: GrantContext): Promise<never> {
    await this.refreshTokens.revokeGrants(
      { grantId: row.grantId },
      'authorization code replayed',
      { sub: client.clientId, clientId: client.clientId },
      meta,
    );
    await this.audit.commit([
      {
        type: 'code.replayed',
        outcome: 'denied',
        actor: client.clientId,
        clientId: client.clientId,
        subject: row.userId,
        details: { grant_id: row.grantId, grant_revoked: true },
        meta,
      },
    ]);
    throw new InvalidGrantError(INVALID, 'code replayed; grant revoked');
  }
}
