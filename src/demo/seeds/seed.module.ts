import { Module } from '@nestjs/common';
import { ClientsModule } from '../../clients/clients.module';
import { ScopesModule } from '../../scopes/scopes.module';
import { UsersModule } from '../../users/users.module';
import { DemoDelegationSeeder } from './demo-delegation';
import { DemoSeeder } from './demo-seeder';

@Module({
  imports: [ClientsModule, ScopesModule, UsersModule],
  providers: [DemoSeeder, DemoDelegationSeeder],
  exports: [DemoSeeder, DemoDelegationSeeder],
})
export class SeedModule {}
