import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../resource-server/decorators';
import { MetricsService } from '../platform/metrics/metrics.service';

@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics (expose only to your monitoring network)' })
  @ApiOkResponse({ description: 'Prometheus text format' })
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
