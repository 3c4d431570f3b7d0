import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { keysetPage, type Page } from '../platform/pagination/keyset';
import { AuditEventEntity } from './audit-event.entity';
import type { AuditQueryDto } from './dto/audit-query.dto';

export type AuditPage = Page<ReturnType<typeof toWire>>;

/** How an access token was used, from its `api.call` events. */
export interface TokenUsage {
  calls: number;
  refused: number;
  first_used_at: string | null;
  last_used_at: string | null;
  distinct_ips: string[];
  distinct_user_agents: string[];
  endpoints: string[];
}

function toWire(e: AuditEventEntity) {
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
    const qb = this.events.createQueryBuilder('e');
    if (q.type) qb.andWhere('e.type = :type', { type: q.type });
    if (q.client_id) qb.andWhere('e.client_id = :clientId', { clientId: q.client_id });
    if (q.subject) qb.andWhere('e.subject = :subject', { subject: q.subject });
    if (q.jti) qb.andWhere('e.jti = :jti', { jti: q.jti });
    if (q.request_id) qb.andWhere('e.request_id = :requestId', { requestId: q.request_id });
    if (q.since) qb.andWhere('e.occurred_at >= :since', { since: new Date(q.since) });
    if (q.until) qb.andWhere('e.occurred_at <= :until', { until: new Date(q.until) });
    const page = await keysetPage(qb, {
      key: 'id',
      cursorPattern: /^\d{1,18}$/,
      limit: q.limit ?? 50,
      cursor: q.cursor,
      order: 'DESC',
    });
    return { data: page.data.map(toWire), next_cursor: page.next_cursor };
  }

  /** The usage of an access token: its API calls, refusals, first and last use, IPs, agents, endpoints. */
  async usageOf(jti: string): Promise<TokenUsage> {
    const [usage] = (await this.events.query(
      `SELECT count(*)::int AS calls,
              count(*) FILTER (WHERE outcome <> 'success')::int AS refused,
              min(occurred_at) AS first_used_at, max(occurred_at) AS last_used_at,
              coalesce(array_agg(DISTINCT ip) FILTER (WHERE ip IS NOT NULL), '{}') AS ips,
              coalesce(array_agg(DISTINCT user_agent) FILTER (WHERE user_agent IS NOT NULL), '{}') AS user_agents,
              coalesce(array_agg(DISTINCT (details->>'method') || ' ' || (details->>'path')), '{}') AS endpoints
         FROM audit_events WHERE jti = $1 AND type = 'api.call'`,
      [jti],
    )) as {
      calls: number;
      refused: number;
      first_used_at: Date | null;
      last_used_at: Date | null;
      ips: string[];
      user_agents: string[];
      endpoints: string[];
    }[];
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      calls: usage.calls,
      refused: usage.refused,
      first_used_at: iso(usage.first_used_at),
      last_used_at: iso(usage.last_used_at),
      distinct_ips: usage.ips,
      distinct_user_agents: usage.user_agents,
      endpoints: usage.endpoints,
    };
  }
}
