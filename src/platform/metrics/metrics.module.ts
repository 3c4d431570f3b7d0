import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** The one Prometheus registry; modules inject MetricsService to register their gauges. */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class PlatformMetricsModule {}
