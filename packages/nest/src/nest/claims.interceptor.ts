import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { mergeMap, type Observable } from 'rxjs';
import { filterClaims } from '../core/claims-filter';
import type { ScopegateRequest } from './http-request';
import { ClaimCatalog } from './ports';

/**
 * Global: every response to a token-authenticated request loses the fields whose claim category the
 * token's scopes do not grant. Controllers return DTO instances and write no filtering code.
 */
@Injectable()
export class ClaimsInterceptor implements NestInterceptor {
  constructor(private readonly catalog: ClaimCatalog) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = ctx.switchToHttp().getRequest<ScopegateRequest>().user;
    if (!principal) return next.handle();
    return next
      .handle()
      .pipe(
        mergeMap(async (body: unknown) =>
          filterClaims(body, await this.catalog.categoriesGrantedBy(principal.scopes)),
        ),
      );
  }
}
