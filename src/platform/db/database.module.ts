import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DATABASE_CONNECTION, dataSourceOptions, type DatabaseConnection, type Schema } from './connection';
import { NotificationsService } from './notifications.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(conn: DatabaseConnection, schema: Schema): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(conn, schema), retryAttempts: 0 })],
      providers: [{ provide: DATABASE_CONNECTION, useValue: conn }, NotificationsService],
      exports: [DATABASE_CONNECTION, NotificationsService],
    };
  }
}
