import { Module } from '@nestjs/common';
import { ScopegateModule } from '@scopegate/nest';
import { HealthController } from './health.controller';
import { OrdersController } from './orders/orders.controller';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required (see README.md)`);
  return value;
};

@Module({
  imports: [
    ScopegateModule.forRootAsync({
      useFactory: () => ({
        issuer: required('SCOPEGATE_ISSUER'),
        audience: process.env.ORDERS_AUDIENCE ?? 'https://orders.example',
        clientId: required('SCOPEGATE_CLIENT_ID'),
        clientSecret: required('SCOPEGATE_CLIENT_SECRET'),
        failClosed: process.env.SCOPEGATE_FAIL_CLOSED !== 'false',
      }),
    }),
  ],
  controllers: [OrdersController, HealthController],
})
export class AppModule {}
