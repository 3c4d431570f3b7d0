import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeCursor, encodeCursor } from '../platform/pagination/cursor';
import { firstBrokenLink } from './audit-chain';
import { AuditEventEntity } from './audit-event.entity';
import type { AuditQueryDto } from './dto/audit-query.dto';

export interface AuditPage {
  data: ReturnType<typeof toWire>[];
  next_cursor: string | null;
}

export function toWire(e: AuditEventEntity) {
  return {
    id: e.id,
    occurred_at: e.occurredAt.toISOString(),
    type: e.type,
    outcome: e.outcome,
    actor: e.actor,
    subject: e.subject,
    client_id: e.clientId,
    jti: e.jti,
    request_id: e.requestId,
    ip: e.ip,
    user_agent: e.userAgent,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

@Injectable()
export class AuditQueryService {
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  /** Newest first, keyset-paginated on id. */
  async find(q: AuditQueryDto): Promise<AuditPage> {
    const limit = q.limit ?? 50;
    const qb = this.events
      .createQueryBuilder('e')
      .orderBy('e.id', 'DESC')
      .take(limit + 1);
    const before = decodeCursor(q.cursor, /^\d{1,18}$/);
    if (before) qb.andWhere('e.id < :before', { before });
    if (q.type) qb.andWhere('e.type = :type', { type: q.type });
    if (q.client_id) qb.andWhere('e.client_id = :clientId', { clientId: q.client_id });
    if (q.subject) qb.andWhere('e.subject = :subject', { subject: q.subject });
    if (q.jti) qb.andWhere('e.jti = :jti', { jti: q.jti });
    if (q.request_id) qb.andWhere('e.request_id = :requestId', { requestId: q.request_id });
    if (q.since) qb.andWhere('e.occurred_at >= :since', { since: new Date(q.since) });
    if (q.until) qb.andWhere('e.occurred_at <= :until', { until: new Date(q.until) });
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    return {
      data: page.map(toWire),
      next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  /** Walks the whole chain in id order; reports the first broken link. */
  async verify(): Promise<{ ok: boolean; checked: number; first_broken_id?: number }> {
    let previous: AuditEventEntity | undefined;
    let checked = 0;
    for (;;) {
      const qb = this.events.createQueryBuilder('e').orderBy('e.id', 'ASC').take(1000);
      if (previous) qb.where('e.id > :id', { id: previous.id });
      const rows = await qb.getMany();
      if (rows.length === 0) return { ok: true, checked };
      const broken = firstBrokenLink(rows, previous);
      if (broken !== undefined)
        return {
          ok: false,
          checked: checked + rows.findIndex((r) => r.id === broken),
          first_broken_id: broken,
        };
      checked += rows.length;
      previous = rows[rows.length - 1];
    }
  }
}
