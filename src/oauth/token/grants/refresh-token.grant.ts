import { Injectable } from '@nestjs/common';
import { ApisService, scopesForResources } from '../../../apis/apis.service';
import { AuditService } from '../../../audit/audit.service';
import { ClientsService } from '../../../clients/clients.service';
import { formatScope, parseScope } from '../../../protocol/scope-syntax';
import { UsersService } from '../../../users/users.service';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../../../protocol/errors';
import { RefreshTokensService } from '../../../tokens/refresh/refresh-tokens.service';
import type { GrantContext, GrantHandler, TokenResponse } from './grant-handler';
import { UserTokenIssuer } from './user-token-issuer';

const INVALID = 'The refresh token is invalid, expired or revoked';

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token; presenting
 * one already rotated means it leaked (or was copied), so the whole family is revoked.
 */
@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';

  constructor(
    private readonly refreshTokens: RefreshTokensService,
    private readonly users: UsersService,
    private readonly clients: ClientsService,
    private readonly issuer: UserTokenIssuer,
    private readonly audit: AuditService,
    private readonly apis: ApisService,
  ) {}

  async handle({ client, params, resources, meta, events }: GrantContext): Promise<TokenResponse> {
    if (!params.refresh_token) throw new InvalidRequestError('refresh_token is required');
    let requested: string[] | undefined;
    if (params.scope !== undefined) {
      requested = parseScope(params.scope);
      if (!requested) throw new InvalidScopeError('The scope parameter is malformed');
    }
    // Refusals that depend only on the request are decided before the token is used: an error
    // response must leave the grant intact (RFC 6749 §5.2), and a retry must not look like reuse.
    const live = await this.refreshTokens.peek(params.refresh_token, client.clientId);
    if (live && requested) {
      const outside = requested.filter((s) => !live.scopes.includes(s));
      if (outside.length) throw new InvalidScopeError(`Scope not originally granted: ${outside.join(' ')}`);
    }
    // RFC 8707 §2.2: a refresh may narrow the audience to some of the grant's resources, never widen it.
    if (live) await this.apis.resolve(this.apis.withinGrant(resources, live.resources));
    const result = await this.refreshTokens.rotate(params.refresh_token, client.clientId);
    if (!result.ok) {
      if (result.reason === 'reused') {
        await this.refreshTokens.revokeGrants(
          { grantId: result.familyId! },
          'refresh token reuse detected',
          { sub: client.clientId, clientId: client.clientId },
          meta,
        );
        await this.audit.commit([
          {
            type: 'refresh.reuse_detected',
            outcome: 'denied',
            actor: client.clientId,
            clientId: client.clientId,
            subject: result.userId,
            details: { family_id: result.familyId, family_revoked: true },
            meta,
          },
        ]);
      }
      throw new InvalidGrantError(INVALID, `refresh token ${result.reason}`);
    }
    const { family } = result;

    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    const original = new Set(family.scopes);
    if (requested) {
      const outside = requested.filter((s) => !original.has(s));
      if (outside.length) throw new InvalidScopeError(`Scope not originally granted: ${outside.join(' ')}`);
    }
    const user = await this.users.findById(family.userId);
    if (!user || user.status !== 'active') {
      await this.refreshTokens.revokeGrants(
        { grantId: family.familyId },
        'user disabled',
        { sub: 'system' },
        meta,
      );
      throw new InvalidGrantError(INVALID, 'user disabled or deleted');
    }
    // Rights withdrawn since the consent are withdrawn from refreshed tokens too.
    const userScopes = await this.users.scopesOf(user);
    const clientScopes = await this.clients.allowedScopes(client);
    const scopes = (requested ?? family.scopes)
      .filter((s) => userScopes.has(s) && clientScopes.has(s))
      .sort();
    if (scopes.length === 0) throw new InvalidScopeError('None of the granted scopes is still allowed');
    const wanted = this.apis.withinGrant(resources, family.resources);
    const target = await this.apis.resolve(wanted);
    const accessScopes = scopesForResources(scopes, target);
    if (accessScopes.length === 0)
      throw new InvalidScopeError('None of the granted scopes belongs to the requested resource');

    const response = await this.issuer.issue({
      client,
      user,
      scopes,
      accessScopes,
      audience: wanted.length ? target.audience : undefined,
      grantType: this.grantType,
      grantId: family.familyId,
      authTime: family.authTime,
      refreshToken: result.token,
      meta,
      events: [
        ...events,
        {
          type: 'refresh.rotated',
          outcome: 'success',
          actor: client.clientId,
          clientId: client.clientId,
          subject: user.id,
          details: { family_id: family.familyId, scope: formatScope(scopes) },
          meta,
        },
      ],
    });
    // A concurrent reuse of the old token may have revoked the family before this access token was
    // recorded: revoke again so that it is covered too. The response stands (one success, one
    // invalid_grant), but every token of the family is dead.
    if (await this.refreshTokens.isRevoked(result.newHash)) {
      await this.refreshTokens.revokeGrants(
        { grantId: family.familyId },
        'refresh token reuse detected',
        { sub: 'system' },
        meta,
      );
    }
    return response;
  }
}
