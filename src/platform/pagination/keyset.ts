import { type ObjectLiteral, type Repository, SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor } from './cursor';

/** A page of a keyset-paginated list; `next_cursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface KeysetOptions<T> {
  /** The unique property the list is ordered and cut by. */
  key: keyof T & string;
  /** What a decoded cursor must look like (anything else is a 400). */
  cursorPattern: RegExp;
  limit: number;
  cursor?: string;
  /** Default ASC; DESC lists newest first. */
  order?: 'ASC' | 'DESC';
}

/**
 * Keyset pagination: the rows after the cursor's key, in key order, `limit` of them; one more is read
 * to know whether another page follows. A query builder keeps the filters its caller added.
 */
export async function keysetPage<T extends ObjectLiteral>(
  source: Repository<T> | SelectQueryBuilder<T>,
  { key, cursorPattern, limit, cursor, order = 'ASC' }: KeysetOptions<T>,
): Promise<Page<T>> {
  const qb = source instanceof SelectQueryBuilder ? source : source.createQueryBuilder('row');
  const column = `${qb.alias}.${key}`;
  const after = decodeCursor(cursor, cursorPattern);
  if (after !== undefined) {
    qb.andWhere(`${column} ${order === 'ASC' ? '>' : '<'} :keysetCursor`, { keysetCursor: after });
  }
  const rows = await qb
    .orderBy(column, order)
    .take(limit + 1)
    .getMany();
  const data = rows.slice(0, limit);
  const last = data[data.length - 1] as Record<string, string | number> | undefined;
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(last[key]) : null };
}
