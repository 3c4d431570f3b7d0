import { Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { UsersService } from '../../users/users.service';
import { InvalidTokenError } from '../../protocol/errors';

/** OIDC Core §5.3: the claims of the user behind an access token, as far as its scopes allow (§5.4). */
@ApiTags('oauth')
@Controller('oauth/userinfo')
export class UserinfoController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Authenticated({ scopes: ['openid'] })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'OpenID Connect UserInfo (claims for the profile and email scopes)' })
  @ApiOkResponse({
    schema: {
      example: { sub: '3f0c…', name: 'Demo User', preferred_username: 'demo', email: 'demo@example.com' },
    },
  })
  get(@CurrentPrincipal() principal: Principal) {
    return this.claims(principal);
  }

  @Post()
  @HttpCode(200)
  @Authenticated({ scopes: ['openid'] })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'OpenID Connect UserInfo (POST form, OIDC Core §5.3.1)' })
  post(@CurrentPrincipal() principal: Principal) {
    return this.claims(principal);
  }

  private async claims(principal: Principal): Promise<Record<string, unknown>> {
    const user = await this.users.findById(principal.sub);
    if (!user || user.status !== 'active')
      throw new InvalidTokenError('The token does not belong to an active user');
    const out: Record<string, unknown> = { sub: user.id };
    if (principal.scopes.includes('profile')) {
      out.name = user.name;
      out.preferred_username = user.username;
      out.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
    }
    if (principal.scopes.includes('email') && user.email) {
      out.email = user.email;
      // Addresses are entered by administrators, not verified by the user.
      out.email_verified = false;
    }
    return out;
  }
}
