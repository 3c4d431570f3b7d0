import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal';

export const IS_PUBLIC = 'scopegate:public';
export const REQUIRED_SCOPES = 'scopegate:scopes';

/** Opens a route: the global guard denies everything not marked so. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export interface AuthenticatedOptions {
  /** Every one of these scopes is required. */
  scopes?: string[];
}

/**
 * The one declaration of a protected route: it feeds the guard's scope check and the Swagger security
 * requirement, so the documentation cannot drift from the enforcement.
 */
export function Authenticated({ scopes = [] }: AuthenticatedOptions = {}) {
  const needs = scopes.length ? ` Requires scope: \`${scopes.join(' ')}\`.` : '';
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiOAuth2(scopes, 'oauth2'),
    ApiUnauthorizedResponse({
      description: `Missing, invalid, expired or revoked access token (RFC 6750 invalid_token).${needs}`,
    }),
    ApiForbiddenResponse({
      description: `The token lacks a required scope (RFC 6750 insufficient_scope).${needs}`,
    }),
  );
}

export type AuthenticatedRequest = FastifyRequest & { user?: Principal };

/** Controller parameter: the verified principal of the request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);
