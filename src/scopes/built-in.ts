/** The scope of resource servers (revocation feed, claims catalog, usage reports, introspection of their APIs' tokens). */
export const RESOURCE_SERVER_SCOPE = 'scopegate:resource-server';
/** The built-in role holding RESOURCE_SERVER_SCOPE (created by a migration in every installation). */
export const RESOURCE_SERVER_ROLE = 'resource-server';
