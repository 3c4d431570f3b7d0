import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    logger: (process.env.LOG_LEVEL ?? 'log') === 'warn' ? ['error', 'warn'] : ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3001);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  console.log(`orders-api listening on http://${process.env.HOST ?? '127.0.0.1'}:${port}`);
}

void main();
