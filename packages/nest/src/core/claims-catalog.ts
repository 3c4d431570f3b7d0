import { TemporarilyUnavailableError } from './errors';
import type { IssuerClient } from './issuer-client';
import { issuerUrl } from './remote';

interface CatalogBody {
  scope_categories?: unknown;
}

/**
 * Which claim categories each scope grants, as the authorization server defines them (its claims
 * catalog), cached. Refetched when the revocation feed says it changed, after the feed reconnects,
 * and every few minutes regardless.
 */
export class ClaimsCatalogClient {
  private byScope?: Map<string, string[]>;
  private inflight?: Promise<void>;

  constructor(private readonly issuer: IssuerClient) {}

  get loaded(): boolean {
    return this.byScope !== undefined;
  }

  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    const body = await this.issuer.authorized<CatalogBody>(
      issuerUrl(this.issuer.conn.issuer, 'resource-server/catalog'),
    );
    const next = new Map<string, string[]>();
    const raw = body.scope_categories;
    if (raw && typeof raw === 'object') {
      for (const [scope, categories] of Object.entries(raw as Record<string, unknown>)) {
        if (Array.isArray(categories))
          next.set(
            scope,
            categories.filter((c): c is string => typeof c === 'string'),
          );
      }
    }
    this.byScope = next;
  }

  /** The categories a token's scopes grant. Before the catalog is known nothing can be filtered: 503. */
  categoriesGrantedBy(scopes: Iterable<string>): ReadonlySet<string> {
    const byScope = this.assertLoaded();
    const granted = new Set<string>();
    for (const s of scopes) for (const c of byScope.get(s) ?? []) granted.add(c);
    return granted;
  }

  scopesGranting(category: string): string[] {
    const byScope = this.assertLoaded();
    return [...byScope].filter(([, cs]) => cs.includes(category)).map(([s]) => s);
  }

  private assertLoaded(): Map<string, string[]> {
    if (!this.byScope)
      throw new TemporarilyUnavailableError(2, 'The claims catalog is not loaded yet; retry later');
    return this.byScope;
  }
}
