import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@scopegate/nest';
import { RESOURCE_SERVER_SCOPE } from '../../scopes/built-in';
import { ScopesService } from '../../scopes/scopes.service';

class ClaimsCatalogDto {
  @ApiProperty({
    example: { 'customers:profile': ['profile'], 'orders:pricing': ['pricing'] },
    description: 'Each scope that grants claim categories, with those categories',
  })
  scope_categories: Record<string, string[]>;

  @ApiProperty({ example: ['address', 'banking', 'pricing', 'profile'], type: [String] })
  categories: string[];
}

/**
 * The claims catalog for resource servers: which claim categories each scope makes visible, so that
 * a remote API filters responses exactly as Scopegate's own do. The revocation feed's `catalog` event
 * says when to fetch it again.
 */
@ApiTags('resource servers')
@Controller('resource-server')
export class ClaimsCatalogController {
  constructor(private readonly scopes: ScopesService) {}

  @Get('catalog')
  @Authenticated({ scopes: [RESOURCE_SERVER_SCOPE] })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Claims catalog: the claim categories each scope grants' })
  @ApiOkResponse({ type: ClaimsCatalogDto })
  async catalog(): Promise<ClaimsCatalogDto> {
    const { scopes, categories } = await this.scopes.catalog();
    const scope_categories: Record<string, string[]> = {};
    for (const s of [...scopes.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (s.claimCategory) scope_categories[s.name] = [s.claimCategory];
    }
    return { scope_categories, categories: [...categories].sort() };
  }
}
