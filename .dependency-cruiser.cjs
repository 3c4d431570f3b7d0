/* global module */
// Import boundaries of src/ (`npm run deps:check`, run by CI).
//
// Layers, bottom to top; a module may import its own layer or a lower one, never a higher one:
//   0  protocol/ (pure RFC rules), platform/, config/  — protocol imports nothing else of src/
//   1  domain, itself ordered: audit < keys < scopes < tokens < clients, users < apis
//      (clients and users do not import each other)
//   2  oauth/, resource-server/, admin/  — oauth and admin do not import each other; resource-server
//      imports neither of them, no domain folder and no database code (it needs no database)
//   3  demo/, ops/, database/ (the app's list of entities and migrations) and the top-level
//      src/app.module.ts, core.module.ts, bootstrap.ts, main.ts, swagger.ts
// protocol/ also imports no framework or database package (@nestjs/*, nestjs-*, typeorm, pg, pg-*,
// PGlite, fastify, @fastify/*, passport*); node builtins, jose and other pure libraries are fine.
// No import cycles anywhere. Spec files (*.spec.ts) sit in their folder's layer and follow the same
// rules. Type-only imports count: they couple the layers all the same. A folder that does not exist
// simply matches nothing. Two warnings (they do not fail the check): resource-server/ reaching
// database code through other modules, and an import of a src/ module that is in no layer.

const under = (...dirs) => `^src/(${dirs.join('|')})/`;
/** An npm package (or a subpath of it), resolved in node_modules or, when not installed, by name. */
const pkg = (...names) => {
  const n = `(${names.join('|')})`;
  return `(^|/)node_modules/(@types/)?${n}(/|$)|^${n}(/|$)`;
};

const LAYER0 = ['protocol', 'platform', 'config'];
const DOMAIN = ['audit', 'keys', 'scopes', 'tokens', 'clients', 'users', 'apis'];
const LAYER2 = ['oauth', 'resource-server', 'admin'];
const LAYER3_DIRS = ['demo', 'ops', 'database'];
const LAYER3 = [
  under(...LAYER3_DIRS),
  '^src/(app\\.module|core\\.module|resource-server\\.wiring|bootstrap|main|swagger)(\\.spec)?\\.ts$',
];
const KNOWN = [under(...LAYER0, ...DOMAIN, ...LAYER2), ...LAYER3];

const DATABASE_PACKAGES = pkg('typeorm', 'pg', 'pg-[^/]+', '@nestjs/typeorm', '@electric-sql/[^/]+');
const FRAMEWORK_PACKAGES = pkg(
  '@nestjs/[^/]+',
  'nestjs-[^/]+',
  'typeorm',
  'pg',
  'pg-[^/]+',
  '@electric-sql/[^/]+',
  'fastify',
  '@fastify/[^/]+',
  'passport',
  'passport-[^/]+',
);

/** One rule per folder: what lies above it. */
const upward = (dir, where, allowed, above) => ({
  name: `${dir}-imports-upward`,
  severity: 'error',
  comment:
    `src/${dir}/ is ${where}; it may import ${allowed}. ` +
    'Move the shared code down a layer, or invert the dependency (an interface or token owned by the lower layer).',
  from: { path: under(dir) },
  to: { path: above },
});

// What each domain folder may not import within the domain (clients and users both sit above tokens).
const DOMAIN_ABOVE = {
  audit: ['keys', 'scopes', 'tokens', 'clients', 'users', 'apis'],
  keys: ['scopes', 'tokens', 'clients', 'users', 'apis'],
  scopes: ['tokens', 'clients', 'users', 'apis'],
  tokens: ['clients', 'users', 'apis'],
  clients: ['users', 'apis'],
  users: ['clients', 'apis'],
  apis: [],
};
const domainRules = DOMAIN.map((dir) => {
  const above = DOMAIN_ABOVE[dir];
  const below = DOMAIN.filter((d) => d !== dir && !above.includes(d));
  return upward(
    dir,
    'domain (layer 1; audit < keys < scopes < tokens < clients, users < apis)',
    `layer 0 (protocol, platform, config)${below.length ? `, ${below.join(', ')}` : ''} and itself` +
      ` — not ${[...above, 'layer 2 (oauth, resource-server, admin)', 'layer 3'].join(', ')}`,
    [under(...above), under(...LAYER2), ...LAYER3],
  );
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-only-protocol',
      severity: 'error',
      comment:
        'src/protocol/ holds the pure RFC rules at the bottom of the layers: within src/ it may import only ' +
        'src/protocol/ itself (not platform/, config/ or anything above).',
      from: { path: under('protocol') },
      to: { path: '^src/', pathNot: under('protocol') },
    },
    {
      name: 'protocol-imports-framework-or-database',
      severity: 'error',
      comment:
        'src/protocol/ is framework- and database-free: node builtins, jose and other pure libraries only; ' +
        'no @nestjs/*, nestjs-*, typeorm, pg, PGlite, fastify or passport.',
      from: { path: under('protocol') },
      to: { path: FRAMEWORK_PACKAGES },
    },
    upward(
      'platform',
      'layer 0',
      'src/protocol/, src/config/ and itself — not the domain, layer 2 or layer 3',
      [under(...DOMAIN, ...LAYER2), ...LAYER3],
    ),
    upward(
      'config',
      'layer 0',
      'src/protocol/, src/platform/ and itself — not the domain, layer 2 or layer 3',
      [under(...DOMAIN, ...LAYER2), ...LAYER3],
    ),
    ...domainRules,
    upward(
      'oauth',
      'layer 2',
      'layers 0 and 1, src/resource-server/ and itself — not src/admin/ or layer 3',
      [under('admin'), ...LAYER3],
    ),
    upward(
      'admin',
      'layer 2',
      'layers 0 and 1, src/resource-server/ and itself — not src/oauth/ or layer 3',
      [under('oauth'), ...LAYER3],
    ),
    upward(
      'resource-server',
      'layer 2, the token-verifying side other apps reuse',
      'layer 0 (without src/platform/db/) and itself — not src/oauth/, src/admin/ or layer 3',
      [under('oauth', 'admin'), ...LAYER3],
    ),
    {
      name: 'resource-server-imports-domain',
      severity: 'error',
      comment:
        'src/resource-server/ verifies tokens without the domain: it may not import ' +
        `${DOMAIN.map((d) => `src/${d}/`).join(', ')}.`,
      from: { path: under('resource-server') },
      to: { path: under(...DOMAIN) },
    },
    {
      name: 'resource-server-imports-database',
      severity: 'error',
      comment:
        'src/resource-server/ needs no database: no typeorm, pg, @nestjs/typeorm, PGlite or src/platform/db/.',
      from: { path: under('resource-server') },
      to: { path: [DATABASE_PACKAGES, '^src/platform/db/'] },
    },
    {
      name: 'resource-server-reaches-database',
      severity: 'warn',
      comment:
        'src/resource-server/ reaches database code through other modules (see the chain): ' +
        'it then drags a database driver into apps that only verify tokens.',
      from: { path: under('resource-server') },
      to: { path: [DATABASE_PACKAGES, '^src/platform/db/'], reachable: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This import closes a cycle (see the chain). Break it: move the shared part down, or invert a dependency.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-in-layer-map',
      severity: 'warn',
      comment:
        'This module is in no layer of .dependency-cruiser.cjs, so no boundary rule covers it: ' +
        'move it into a layer folder, or add its folder to the layer map.',
      from: {},
      to: { path: '^src/', pathNot: KNOWN },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    skipAnalysisNotInRules: true,
  },
};
