import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ConsentEntity } from './consent.entity';

/** The scopes each user has approved for each client; a request within them skips the consent page. */
@Injectable()
export class ConsentsService {
  constructor(@InjectRepository(ConsentEntity) private readonly consents: Repository<ConsentEntity>) {}

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
