import { applyDecorators } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { TokenErrorDto } from './token.dto';

/**
 * The refusals every client-authenticated endpoint shares besides its own (RFC 6749 §5.2 bodies):
 * too many failed client authentications, and a dependency briefly away. Both carry `Retry-After`.
 */
export function ClientAuthenticationResponses() {
  return applyDecorators(
    ApiTooManyRequestsResponse({
      type: TokenErrorDto,
      description:
        '`invalid_client` with `Retry-After`: too many failed client authentications from this address or for this client',
    }),
    ApiServiceUnavailableResponse({
      type: TokenErrorDto,
      description:
        '`temporarily_unavailable` with `Retry-After`: the database (or Redis) cannot be reached right now',
    }),
  );
}
