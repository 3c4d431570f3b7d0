import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';

/** Where @nestjs/swagger keeps each property's documentation (kept through PartialType/PickType). */
const API_PROPERTY = 'swagger/apiModelProperties';

/**
 * The global validation pipe. class-validator's `@IsOptional()` lets `null` through to the services,
 * so a body property set to `null` is refused here, naming the property, unless its API documentation
 * declares it `nullable` (there, null is meaningful: e.g. "no claim category").
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata)) {
      const nulls = nullProperties(value, metadata.metatype.prototype as object);
      if (nulls.length) throw new BadRequestException(nulls.map((name) => `${name} must not be null`));
    }
    return super.transform(value, metadata);
  }
}

function nullProperties(value: unknown, prototype: object): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>)
    .filter(([name, v]) => v === null && !isDocumentedNullable(prototype, name))
    .map(([name]) => name);
}

function isDocumentedNullable(prototype: object, name: string): boolean {
  const doc = Reflect.getMetadata(API_PROPERTY, prototype, name) as { nullable?: boolean } | undefined;
  return doc?.nullable === true;
}
