import { Module } from '@nestjs/common';
import { ClientsModule } from '../../clients/clients.module';
import { ScopesModule } from '../../scopes/scopes.module';
import { DemoSeeder } from './demo-seeder';

@Module({
  imports: [ClientsModule, ScopesModule],
  providers: [DemoSeeder],
  exports: [DemoSeeder],
})
export class SeedModule {}
