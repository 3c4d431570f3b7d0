import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { AuditService } from '../audit/audit.service';
import { RevocationService } from '../tokens/revocation.service';

/**
 * Prometheus metrics (prom-client): process defaults, HTTP latency by route template and status (token
 * issuance is `route="/oauth/token"`), and the size of the in-memory revocation set.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly http = new Histogram({
    name: 'scopegate_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(revocations: RevocationService, audit: AuditService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'scopegate_' });
    new Gauge({
      name: 'scopegate_audit_events_pending',
      help: 'Audit events accepted but not yet committed (API-call events are batched)',
      registers: [this.registry],
      collect() {
        this.set(audit.pending);
      },
    });
    new Gauge({
      name: 'scopegate_revoked_tokens_in_memory',
      help: 'Revoked, unexpired access tokens held in the in-memory revocation set',
      registers: [this.registry],
      collect() {
        this.set(revocations.size);
      },
    });
  }

  /** Called for every response; `route` is the route template (never the raw URL: bounded labels). */
  observe(method: string, route: string | undefined, status: number, ms: number): void {
    this.http.observe({ method, route: route ?? 'unmatched', status: String(status) }, ms / 1000);
  }
}
