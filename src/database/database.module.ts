import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, type DatabaseConnection } from './data-source.options';

@Module({})
export class DatabaseModule {
  static forRoot(conn: DatabaseConnection): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(conn), retryAttempts: 0 })],
    };
  }
}
