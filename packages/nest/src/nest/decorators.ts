import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../core/access-token';
import type { ScopegateRequest } from './http-request';
import { optionalSwagger } from './swagger';

export const IS_PUBLIC = 'scopegate:public';
export const REQUIRED_SCOPES = 'scopegate:scopes';

/** Opens a route: the global guard denies everything not marked so. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export interface AuthenticatedOptions {
  /** Every one of these scopes is required. */
  scopes?: string[];
}

/**
 * The one declaration of a protected route: it feeds the guard's scope check and, when
 * `@nestjs/swagger` is installed, the route's security requirement and 401/403 responses, so the
 * documentation cannot drift from the enforcement.
 */
export function Authenticated({ scopes = [] }: AuthenticatedOptions = {}) {
  const decorators: (ClassDecorator | MethodDecorator)[] = [
    SetMetadata(REQUIRED_SCOPES, scopes),
    // Protected where declared: on a method, this wins over a `@Public()` controller.
    SetMetadata(IS_PUBLIC, false),
  ];
  const swagger = optionalSwagger();
  if (swagger) {
    const needs = scopes.length ? ` Requires scope: \`${scopes.join(' ')}\`.` : '';
    decorators.push(
      swagger.ApiOAuth2(scopes, 'oauth2'),
      swagger.ApiUnauthorizedResponse({
        description: `Missing, invalid, expired or revoked access token (RFC 6750 invalid_token).${needs}`,
      }),
      swagger.ApiForbiddenResponse({
        description: `The token lacks a required scope (RFC 6750 insufficient_scope).${needs}`,
      }),
    );
  }
  return applyDecorators(...decorators);
}

/** Controller parameter: the verified principal of the request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<ScopegateRequest>().user!,
);
