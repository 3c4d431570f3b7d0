import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from './config/env';

export function setupSwagger(app: INestApplication, config: AppConfig): void {
  const doc = new DocumentBuilder()
    .setTitle('Scopegate')
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .setDescription(
      'OAuth 2.0 authorization server and scope-guarded customer-data API. ' +
        'Tokens are RFC 9068 JWTs; each caller sees only the fields its scopes grant.',
    )
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Scopegate API',
  });
  void config;
}
