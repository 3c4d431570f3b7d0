import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Actor } from '../../audit/actor';
import { AuditService } from '../../audit/audit.service';
import type { RequestMeta } from '../../platform/http/request-meta';
import { AuthorizationCodesService } from '../codes/authorization-codes.service';
import { RefreshTokensService } from '../refresh/refresh-tokens.service';
import { ConsentEntity } from './consent.entity';

/** The scopes each user has approved for each client; a request within them skips the consent page. */
@Injectable()
export class ConsentsService {
  constructor(
    @InjectRepository(ConsentEntity) private readonly consents: Repository<ConsentEntity>,
    private readonly codes: AuthorizationCodesService,
    private readonly grants: RefreshTokensService,
    private readonly audit: AuditService,
  ) {}

  /** Every consent the user has given, by client. */
  list(userId: string): Promise<ConsentEntity[]> {
    return this.consents.find({ where: { userId }, order: { clientId: 'ASC' } });
  }

  /**
   * Forgets the user's consent to the client and ends what it backed: the consent row first (no more
   * skipped consent page), then the user's unexchanged codes at that client, then every grant of the
   * user at the client — refresh tokens and live access tokens (RefreshTokensService.revokeGrants). A
   * code exchanged in between yields a refresh token the sweep then finds. 404 when there is none.
   */
  async revoke(userId: string, clientId: string, by: Actor, meta?: RequestMeta): Promise<void> {
    const [deleted] = (await this.consents
      .createQueryBuilder()
      .delete()
      .where({ userId, clientId })
      .returning(['scopes'])
      .execute()
      .then((r) => r.raw)) as { scopes: string[] }[];
    if (!deleted) throw new NotFoundException(`user ${userId} has no consent for client ${clientId}`);
    const codes = await this.codes.discardUnused(userId, clientId);
    const { accessTokens, refreshTokens } = await this.grants.revokeGrants(
      { subject: userId, clientId },
      'consent revoked',
      by,
      meta,
    );
    await this.audit.record({
      type: 'consent.revoked',
      outcome: 'success',
      actor: by.sub,
      clientId: by.clientId ?? null,
      jti: by.jti ?? null,
      subject: userId,
      details: {
        consent_client_id: clientId,
        scopes: deleted.scopes,
        access_tokens: accessTokens,
        refresh_tokens: refreshTokens,
        codes,
      },
      meta,
    });
  }

  /** The scopes the user has approved for the client, if any. */
  async scopesOf(userId: string, clientId: string): Promise<string[] | undefined> {
    return (await this.consents.findOneBy({ userId, clientId }))?.scopes;
  }

  /**
   * Remembers an approval: the union with earlier approvals of the same client. The row is made sure
   * to exist, then locked, so that two concurrent approvals both end up in the union.
   */
  async remember(userId: string, clientId: string, scopes: string[]): Promise<void> {
    await this.consents.manager.transaction(async (m) => {
      await m
        .createQueryBuilder()
        .insert()
        .into(ConsentEntity)
        .values({ userId, clientId, scopes: [] })
        .orIgnore()
        .execute();
      const row = await m.findOneOrFail(ConsentEntity, {
        where: { userId, clientId },
        lock: { mode: 'pessimistic_write' },
      });
      const union = [...new Set([...row.scopes, ...scopes])].sort();
      await m.update(ConsentEntity, { userId, clientId }, { scopes: union, grantedAt: () => 'now()' });
    });
  }
}
