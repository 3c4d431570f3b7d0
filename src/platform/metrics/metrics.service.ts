import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics (prom-client): process defaults, HTTP latency by route template and status (token
 * issuance is `route="/oauth/token"`), and the gauges that modules register (audit backlog, revocation set size).
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'scopegate_' });
  }

  /** A gauge read at scrape time; the module that owns the value registers it. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A counter (monotonic, `_total`); the module that owns the events registers it once and increments it. */
  counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  /** Called for every response; `route` is the route template (never the raw URL: bounded labels). */
  observe(method: string, route: string | undefined, status: number, ms: number): void {
    this.http.observe({ method, route: route ?? 'unmatched', status: String(status) }, ms / 1000);
  }
}
