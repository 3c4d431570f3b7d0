/** Every TypeORM entity, listed explicitly so the app, the CLI and the tests load the same set. */
export const ENTITIES: Function[] = [];
