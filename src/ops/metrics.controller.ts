import { Controller, Get, Header, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AppConfig } from '../config/env';
import { Public } from '@scopegate/nest';
import { MetricsService } from '../platform/metrics/metrics.service';
import { assertMetricsAccess, METRICS_CONTENT_TYPE } from './metrics-access';

/** `/metrics` on the main port; not mounted when METRICS_PORT serves it elsewhere (see metrics-access.ts). */
@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly token: string | undefined;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.token = config.get('METRICS_TOKEN', { infer: true });
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (expose only to your monitoring network)',
    description: 'With METRICS_TOKEN set, requires `Authorization: Bearer <METRICS_TOKEN>`.',
  })
  @ApiOkResponse({ description: 'Prometheus text format' })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and the request does not carry it' })
  metricsText(
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('authorization') authorization?: string,
  ): Promise<string> {
    assertMetricsAccess(authorization, this.token);
    // Set here, not by @Header: a refusal is JSON.
    void reply.header('Content-Type', METRICS_CONTENT_TYPE);
    return this.metrics.registry.metrics();
  }
}
