import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../../../audit/audit.service';
import { Clock } from '../../../platform/clock';
import { keyedHash } from '../../../platform/crypto';
import type { AppConfig } from '../../../config/env';
import { formatScope } from '../../../protocol/scope-syntax';
import { ClientsService } from '../../../clients/clients.service';
import { UsersService } from '../../../users/users.service';
import { AuthorizationCodeEntity } from '../../../tokens/codes/authorization-code.entity';
import { verifyPkce } from '../../../protocol/pkce';
import { InvalidGrantError, InvalidRequestError } from '../../../protocol/errors';
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
  private readonly pepper: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly clients: ClientsService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly issuer: UserTokenIssuer,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.pepper = config.get('SECRET_PEPPER', { infer: true });
  }

  async handle({ client, params, meta, events }: GrantContext): Promise<TokenResponse> {
    if (!params.code) throw new InvalidRequestError('code is required');
    const codeHash = keyedHash(this.pepper, params.code);
    const row = await this.dataSource.getRepository(AuthorizationCodeEntity).findOneBy({ codeHash });
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

    const now = new Date(this.clock.now());
    const consumed = (await this.dataSource.query(
      `UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL RETURNING grant_id`,
      [codeHash, now],
    )) as unknown[];
    const won = Array.isArray(consumed[0]) ? (consumed[0] as unknown[]).length > 0 : consumed.length > 0;
    if (!won) return this.replayed(row, { client, params, meta, events });
    if (row.expiresAt.getTime() <= now.getTime()) throw new InvalidGrantError(INVALID, 'code expired');

    const user = await this.users.findById(row.userId);
    if (!user || user.status !== 'active') throw new InvalidGrantError(INVALID, 'user disabled or deleted');
    // Rights withdrawn since the consent (the code lives 60 s) are not handed out: the same
    // intersection with the user's and client's current scopes as on refresh.
    const userScopes = await this.users.scopesOf(user);
    const clientScopes = await this.clients.allowedScopes(client);
    const scopes = row.scopes.filter((s) => userScopes.has(s) && clientScopes.has(s)).sort();
    if (scopes.length === 0)
      throw new InvalidGrantError(INVALID, 'none of the approved scopes is still allowed');

    const refresh = client.grantTypes.includes('refresh_token')
      ? await this.refreshTokens.issue({
          familyId: row.grantId,
          clientId: client.clientId,
          userId: user.id,
          scopes,
          authTime: row.authTime,
        })
      : undefined;
    const response = await this.issuer.issue({
      client,
      user,
      scopes,
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
    const [raced] = (await this.dataSource.query(
      'SELECT 1 FROM authorization_codes WHERE code_hash = $1 AND replayed_at IS NOT NULL',
      [codeHash],
    )) as unknown[];
    if (raced) {
      await this.refreshTokens.revokeFamily(
        row.grantId,
        'authorization code replayed',
        { actor: 'system' },
        meta,
      );
    }
    return response;
  }

  /** A second valid use: the code leaked. Revoke the grant (access and refresh tokens), then refuse. */
  private async replayed(row: AuthorizationCodeEntity, { client, meta }: GrantContext): Promise<never> {
    await this.dataSource.query('UPDATE authorization_codes SET replayed_at = $2 WHERE code_hash = $1', [
      row.codeHash,
      new Date(this.clock.now()),
    ]);
    await this.refreshTokens.revokeFamily(
      row.grantId,
      'authorization code replayed',
      { actor: client.clientId, clientId: client.clientId },
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
