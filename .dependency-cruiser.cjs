/* global module */
// Import boundaries of src/ (`npm run deps:check`, run by CI).
//
// Layers, bottom to top; a module may import its own layer or a lower one, never a higher one:
//   0  protocol/ (pure RFC rules), platform/, config/  — protocol imports nothing else of src/
//   1  domain, itself ordered: audit < keys < scopes < tokens < clients, users < apis
//      (clients and users do not import each other)
//   2  oauth/, admin/  — they do not import each other
//   3  demo/, ops/, database/ (the app's list of entities and migrations) and the top-level
//      src/app.module.ts, core.module.ts, bootstrap.ts, main.ts, swagger.ts
// protocol/ also imports no framework or database package (@nestjs/*, nestjs-*, typeorm, pg, pg-*,
// PGlite, fastify, @fastify/*, passport*); node builtins, jose and other pure libraries are fine.
// No import cycles anywhere. Spec files (*.spec.ts) sit in their folder's layer and follow the same
// rules. Type-only imports count: they couple the layers all the same. A folder that does not exist
// simply matches nothing. A warning (it does not fail the check): an import of a src/ module that is in
// no layer.
// packages/nest/ (@scopegate/nest, the resource-server side every API and Scopegate itself use) sits
// below all of src/: it imports nothing of src/, no database package and no HTTP framework (it works on
// Fastify and Express through Nest); its core/ imports no Nest at all (the gateway reuses it).

const under = (...dirs) => `^src/(${dirs.join('|')})/`;
/** An npm package (or a subpath of it), resolved in node_modules or, when not installed, by name. */
const pkg = (...names) => {
  const n = `(${names.join('|')})`;
  return `(^|/)node_modules/(@types/)?${n}(/|$)|^${n}(/|$)`;
};

const LAYER0 = ['protocol', 'platform', 'config'];
const DOMAIN = ['audit', 'keys', 'scopes', 'tokens', 'clients', 'users', 'apis'];
const LAYER2 = ['oauth', 'admin'];
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
      ` — not ${[...above, 'layer 2 (oauth, admin)', 'layer 3'].join(', ')}`,
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
    upward('oauth', 'layer 2', 'layers 0 and 1 and itself — not src/admin/ or layer 3', [
      under('admin'),
      ...LAYER3,
    ]),
    upward('admin', 'layer 2', 'layers 0 and 1 and itself — not src/oauth/ or layer 3', [
      under('oauth'),
      ...LAYER3,
    ]),
    {
      name: 'package-imports-app',
      severity: 'error',
      comment: 'packages/nest/ is used by other applications: it may not import anything of src/.',
      from: { path: '^packages/nest/src/' },
      to: { path: '^src/' },
    },
    {
      name: 'package-imports-database-or-framework',
      severity: 'error',
      comment:
        'packages/nest/ verifies tokens without a database and on any Nest platform: no typeorm, pg, ' +
        'PGlite, fastify, express or @nestjs/platform-*.',
      from: { path: '^packages/nest/src/' },
      to: {
        path: [DATABASE_PACKAGES, pkg('fastify', '@fastify/[^/]+', 'express', '@nestjs/platform-[^/]+')],
      },
    },
    {
      name: 'gateway-imports',
      severity: 'error',
      comment:
        'packages/gateway/ is a separate process built on the package core: it may import ' +
        '@scopegate/nest/core, never src/, the Nest layer of the package, or Nest itself.',
      from: { path: '^packages/gateway/src/' },
      to: { path: ['^src/', '^packages/nest/(src|dist)/(index|nest/)', pkg('@nestjs/[^/]+')] },
    },
    {
      name: 'package-core-imports-nest',
      severity: 'error',
      comment:
        'packages/nest/src/core/ is framework-independent (the gateway reuses it): no @nestjs/*, rxjs.',
      from: { path: '^packages/nest/src/core/' },
      to: { path: [pkg('@nestjs/[^/]+', 'rxjs', 'reflect-metadata'), '^packages/nest/src/nest/'] },
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
