import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TokenEntity } from './token.entity';

/** A token's record plus how it was used, from the audit log's api.call events. */
@Injectable()
export class TokenUsageService {
  constructor(@InjectRepository(TokenEntity) private readonly tokens: Repository<TokenEntity>) {}

  async describe(jti: string) {
    const record = /^[0-9a-f-]{36}$/i.test(jti) ? await this.tokens.findOneBy({ jti }) : null;
    if (!record) throw new NotFoundException(`token ${jti.slice(0, 64)} not found`);
    const [usage] = (await this.tokens.query(
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
    return {
      jti: record.jti,
      client_id: record.clientId,
      sub: record.subject,
      scope: record.scopes.join(' '),
      aud: record.audience,
      grant_type: record.grantType,
      kid: record.kid,
      issued_at: record.issuedAt.toISOString(),
      expires_at: record.expiresAt.toISOString(),
      revoked_at: record.revokedAt?.toISOString() ?? null,
      revoked_reason: record.revokedReason,
      txn: record.requestId,
      usage: {
        calls: usage.calls,
        refused: usage.refused,
        first_used_at: usage.first_used_at ? new Date(usage.first_used_at).toISOString() : null,
        last_used_at: usage.last_used_at ? new Date(usage.last_used_at).toISOString() : null,
        distinct_ips: usage.ips,
        distinct_user_agents: usage.user_agents,
        endpoints: usage.endpoints,
      },
    };
  }
}
