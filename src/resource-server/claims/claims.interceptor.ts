import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../decorators';
import { ClaimCatalog } from '../resource-server.ports';
import { filterClaims } from './claims-filter';

/**
 * Global: every response to a token-authenticated request loses the fields whose claim category the
 * token's scopes do not grant. Controllers return DTO instances and write no filtering code.
 */
@Injectable()
export class ClaimsInterceptor implements NestInterceptor {
  constructor(private readonly catalog: ClaimCatalog) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!principal) return next.handle();
    return next
      .handle()
      .pipe(
        mergeMap((body) =>
          from(
            this.catalog.categoriesGrantedBy(principal.scopes).then((granted) => filterClaims(body, granted)),
          ),
        ),
      );
  }
}
