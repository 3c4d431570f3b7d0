import { declareClaimCategory } from '../core/claim-fields';
import { optionalSwagger } from './swagger';

/** Extension key in the OpenAPI schema (`x-claim-category`), so the documentation names each field's category. */
export const CLAIM_CATEGORY_EXTENSION = 'x-claim-category';

/**
 * Marks a DTO field as belonging to a claim category. The claims interceptor removes it from every
 * response whose token's scopes do not grant the category; fields without a category are visible to
 * anyone the route's guard lets in.
 */
export function ClaimCategory(category: string): PropertyDecorator {
  return (target, key) => {
    declareClaimCategory(target.constructor, key, category);
    const swagger = optionalSwagger();
    swagger?.ApiProperty({ [CLAIM_CATEGORY_EXTENSION]: category } as Parameters<Swagger['ApiProperty']>[0])(
      target,
      key,
    );
  };
}

type Swagger = typeof import('@nestjs/swagger');
