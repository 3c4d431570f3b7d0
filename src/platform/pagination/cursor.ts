import { BadRequestException } from '@nestjs/common';

/** Opaque keyset cursors: base64url of the last key of the previous page. */
export function encodeCursor(key: string | number): string {
  return Buffer.from(String(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, pattern: RegExp): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!pattern.test(key)) throw new BadRequestException('cursor is invalid');
  return key;
}
