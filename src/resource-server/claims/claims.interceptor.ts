import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../decorators';
import { ScopesService } from '../../scopes/scopes.service';
import { filterClaims } from './claims-filter';

/**
 * Global: every response to a token-authenticated request loses the fields whose claim category the
 * token's scopes do not grant. Controllers return DTO instances and write no filtering code.
 */
@Injectable()
export class ClaimsInterceptor implements NestInterceptor {
  constructor(private readonly scopes: ScopesService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!principal) return next.handle();
    return next
      .handle()
      .pipe(
        mergeMap((body) =>
          from(
            this.scopes.categoriesGrantedBy(principal.scopes).then((granted) => filterClaims(body, granted)),
          ),
        ),
      );
  }
}
