import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The usage-report queue of the verifier (`status().usage`). */
export interface UsageCounts {
  pending: number;
  delivered: number;
  dropped: number;
}

/** Prometheus metrics of the gateway (`GET /metrics`). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'scopegate_gateway_requests_total',
    help: 'Requests answered by the gateway, by route, status and client',
    labelNames: ['route', 'status', 'client'] as const,
    registers: [this.registry],
  });
  readonly upstream = new Histogram({
    name: 'scopegate_gateway_upstream_seconds',
    help: 'Time until the upstream answered (headers), by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly filtered = new Counter({
    name: 'scopegate_gateway_filtered_responses_total',
    help: 'Responses whose JSON body was filtered by claim category, by route and outcome',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });

  /** `usage` is read at each scrape. */
  constructor(usage: () => UsageCounts) {
    collectDefaultMetrics({ register: this.registry, prefix: 'scopegate_gateway_' });
    new Gauge({
      name: 'scopegate_gateway_usage_reports_pending',
      help: 'Usage reports waiting to be sent to Scopegate (a bounded queue: it grows while Scopegate is slower)',
      registers: [this.registry],
      collect() {
        this.set(usage().pending);
      },
    });
    const counted = (key: 'delivered' | 'dropped', help: string) => {
      let seen = 0;
      new Counter({
        name: `scopegate_gateway_usage_reports_${key}_total`,
        help,
        registers: [this.registry],
        collect() {
          const now = usage()[key];
          this.inc(now - seen);
          seen = now;
        },
      });
    };
    counted('delivered', 'Usage reports Scopegate acknowledged');
    counted('dropped', 'Usage reports given up on (queue overflow, or a batch Scopegate refused as invalid)');
  }
}
