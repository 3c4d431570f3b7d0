import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/env';
import { COUNTER_STORE } from './counter-store';
import { PostgresCounterStore } from './postgres-counter.store';
import { RedisCounterStore } from './redis-counter.store';

/** The shared {@link CounterStore}: Redis when REDIS_URL is set, else the application's PostgreSQL. */
@Module({
  providers: [
    {
      provide: COUNTER_STORE,
      inject: [ConfigService, getDataSourceToken()],
      useFactory: (config: ConfigService<AppConfig, true>, db: DataSource) => {
        const url = config.get('REDIS_URL', { infer: true });
        return url ? new RedisCounterStore(url) : new PostgresCounterStore(db);
      },
    },
  ],
  exports: [COUNTER_STORE],
})
export class RateLimitModule {}
