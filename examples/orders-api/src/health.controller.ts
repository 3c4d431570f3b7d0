import { Controller, Get, HttpCode, HttpException, HttpStatus } from '@nestjs/common';
import { Public, ScopegateClient } from '@scopegate/nest';

@Controller('health')
export class HealthController {
  constructor(private readonly scopegate: ScopegateClient) {}

  @Get('live')
  @Public()
  live() {
    return { status: 'ok' };
  }

  /** Ready once Scopegate's keys, catalog and revocation feed are in hand. */
  @Get('ready')
  @Public()
  @HttpCode(200)
  ready() {
    const status = this.scopegate.status();
    const ready = status.keys && status.catalog && status.feed;
    if (!ready) throw new HttpException({ status: 'unavailable', ...status }, HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'ok', ...status };
  }
}
