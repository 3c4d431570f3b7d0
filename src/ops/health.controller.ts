import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type { DataSource } from 'typeorm';
import { KeysService } from '../keys/keys.service';
import { NotificationsService } from '../platform/db/notifications.service';
import { poolAnswers } from '../platform/db/pool-check';
import { Public } from '@scopegate/nest';

/** How long readiness waits for a pooled connection: requests that cannot get one in this time fail. */
const POOL_CHECK_TIMEOUT_MS = 2000;

type Component = 'up' | 'down';
interface Readiness {
  status: 'ok' | 'error';
  components: { database: Component; notifications: Component; keys: Component };
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  /** Concurrent probes share one check, so a burst of probes cannot take the pool's connections. */
  private checking: Promise<Readiness> | undefined;

  constructor(
    private readonly health: HealthCheckService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: NotificationsService,
    private readonly keys: KeysService,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: requests can be served — the pool hands out a working connection within 2 s, the ' +
      'notification (LISTEN) connection is up, signing keys are loaded. Names components only, never why.',
  })
  @ApiOkResponse({
    schema: {
      example: { status: 'ok', components: { database: 'up', notifications: 'up', keys: 'up' } },
    },
  })
  @ApiServiceUnavailableResponse({
    schema: {
      example: { status: 'error', components: { database: 'down', notifications: 'down', keys: 'up' } },
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const result = await (this.checking ??= this.check().finally(() => (this.checking = undefined)));
    void reply
      .status(result.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .header('cache-control', 'no-store');
    return result;
  }

  private async check(): Promise<Readiness> {
    const up = (ok: boolean): Component => (ok ? 'up' : 'down');
    const components = {
      database: up(await poolAnswers(this.dataSource, POOL_CHECK_TIMEOUT_MS)),
      // On the embedded database there is no listener to lose (one process, one session).
      notifications: up(!this.notifications.enabled || this.notifications.connected),
      keys: up(this.keysLoaded()),
    };
    const ok = Object.values(components).every((c) => c === 'up');
    return { status: ok ? 'ok' : 'error', components };
  }

  private keysLoaded(): boolean {
    try {
      this.keys.signingKey();
      return true;
    } catch {
      return false;
    }
  }
}
