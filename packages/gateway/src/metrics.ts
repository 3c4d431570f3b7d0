import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'scopegate_gateway_' });
  }
}
