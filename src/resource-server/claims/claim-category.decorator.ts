import { ApiProperty } from '@nestjs/swagger';
import 'reflect-metadata';

const CLAIM_FIELDS = Symbol('scopegate:claimFields');

/** Extension key in the OpenAPI schema; setupSwagger turns it into "requires scope …" text. */
export const CLAIM_CATEGORY_EXTENSION = 'x-claim-category';

/**
 * Marks a DTO field as belonging to a claim category. The claims interceptor removes it
 * from every response whose token's scopes do not grant the category; fields without a category
 * are visible to anyone the route's guard lets in.
 */
export function ClaimCategory(category: string): PropertyDecorator {
  return (target, key) => {
    const ctor = target.constructor;
    const inherited =
      (Reflect.getMetadata(CLAIM_FIELDS, ctor) as Map<string | symbol, string> | undefined) ?? new Map();
    const own = new Map(inherited);
    own.set(key, category);
    Reflect.defineMetadata(CLAIM_FIELDS, own, ctor);
    ApiProperty({ [CLAIM_CATEGORY_EXTENSION]: category } as Parameters<typeof ApiProperty>[0])(target, key);
  };
}

/** The field → category map of a DTO class (including inherited fields), if it has any. */
export function claimFieldsOf(ctor: Function): ReadonlyMap<string | symbol, string> | undefined {
  return Reflect.getMetadata(CLAIM_FIELDS, ctor) as Map<string | symbol, string> | undefined;
}
