/** `@nestjs/swagger` is an optional peer: used when the application has it, skipped otherwise. */
type Swagger = typeof import('@nestjs/swagger');

let loaded: Swagger | null | undefined;

export function optionalSwagger(): Swagger | undefined {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('@nestjs/swagger') as Swagger;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
