import { Injectable } from '@nestjs/common';
import type { Principal } from '../core/access-token';
import { ungrantedFields } from '../core/claims-filter';
import { InsufficientScopeError } from '../core/errors';
import { ClaimCatalog } from './ports';

/** Claim categories in request bodies: what the claims interceptor is for responses. */
@Injectable()
export class ClaimsService {
  constructor(private readonly catalog: ClaimCatalog) {}

  /**
   * Writing a field needs the same claim category as reading it: a body that sets a field of a
   * category the token does not grant is refused with 403 insufficient_scope naming a scope that would.
   */
  async assertWritable(body: object, principal: Principal): Promise<void> {
    const granted = await this.catalog.categoriesGrantedBy(principal.scopes);
    const denied = ungrantedFields(body, granted);
    if (denied.length === 0) return;
    const needed = new Set<string>();
    for (const { category } of denied) {
      const [scope] = await this.catalog.scopesGranting(category);
      needed.add(scope ?? `<${category}>`);
    }
    throw new InsufficientScopeError(
      [...needed],
      `Writing ${denied.map((d) => d.field).join(', ')} requires the scope ${[...needed].join(' ')}`,
    );
  }
}
