import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, tokenRequest } from '../support/oauth';
import { spawnScript, type Spawned } from '../support/process';
import { scratchLockfile, type RootLock, type ScratchManifest } from '../support/scratch-lockfile';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(__dirname, '..', 'fixtures', 'tarball-app');
const THINGS = 'https://things.example';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Credentials {
  client_id: string;
  client_secret: string;
}

const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const rootVersion = (name: string): string => {
  const version = rootManifest.dependencies[name] ?? rootManifest.devDependencies[name];
  if (!version) throw new Error(`${name} is not a dependency of the repository`);
  return version;
};

/** `npm pack` of the workspace, as it would be published; the tarball's path and its file list. */
async function packNest(into: string): Promise<{ tarball: string; integrity: string; files: string[] }> {
  // No `prepare` here: `npm run build` built dist before the tests, and rebuilding it now would
  // rewrite files under the feet of the other test files' processes, which load it too.
  if (!existsSync(join(ROOT, 'packages', 'nest', 'dist', 'index.js')))
    throw new Error('packages/nest/dist is missing: run `npm run build` first');
  const { stdout } = await run(
    'npm',
    ['pack', '-w', '@scopegate/nest', '--pack-destination', into, '--ignore-scripts', '--json'],
    { cwd: ROOT },
  );
  const [packed] = JSON.parse(stdout) as { filename: string; integrity: string }[];
  const tarball = join(into, packed.filename);
  const listed = await run('tar', ['tzf', tarball]);
  return { tarball, integrity: packed.integrity, files: listed.stdout.split('\n').filter(Boolean) };
}

/**
 * A fresh Nest app as `nest new` makes it (CommonJS TypeScript on Express), outside the repository,
 * with the tarball installed from the npm cache and compiled by the repository's tsc with every
 * package's declarations type-checked (skipLibCheck false; only TypeScript's own lib files skipped).
 */
async function buildScratchApp(dir: string, tarball: { tarball: string; integrity: string }) {
  cpSync(FIXTURE, dir, { recursive: true });
  const manifest: ScratchManifest = {
    name: 'things-api',
    version: '0.0.0',
    dependencies: {
      '@nestjs/common': rootVersion('@nestjs/common'),
      '@nestjs/core': rootVersion('@nestjs/core'),
      '@nestjs/platform-express': rootVersion('@nestjs/platform-express'),
      '@scopegate/nest': `file:${tarball.tarball}`,
      'reflect-metadata': rootVersion('reflect-metadata'),
      rxjs: rootVersion('rxjs'),
    },
    devDependencies: { '@types/node': rootVersion('@types/node') },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, private: true }, null, 2));
  const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as RootLock;
  const lock = scratchLockfile(rootLock, manifest, {
    '@scopegate/nest': {
      workspace: 'packages/nest',
      resolved: manifest.dependencies['@scopegate/nest'],
      integrity: tarball.integrity,
    },
  });
  // With this lock file npm takes every tarball from the cache `npm ci` filled (see scratchLockfile).
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir });
  await run(process.execPath, [join(ROOT, 'node_modules', '.bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: dir,
  }).catch((err: { stdout?: string }) => {
    throw new Error(`tsc failed in the scratch app:\n${err.stdout ?? String(err)}`);
  });
}

describe('the @scopegate/nest tarball in a fresh Nest app on Express', () => {
  let work: string;
  let appDir: string;
  let files: string[];
  let app: TestApp;
  let admin: string;
  let things: Spawned | undefined;
  let thingsUrl: string;
  let rs: Credentials;
  let reader: Credentials;
  let secretReader: Credentials;

  const tokenFor = async (c: Credentials, scope?: string) => {
    const res = await tokenRequest(
      app,
      { grant_type: 'client_credentials', resource: THINGS, ...(scope ? { scope } : {}) },
      { id: c.client_id, secret: c.client_secret },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.access_token as string;
  };
  const get = async (path: string, token?: string) => {
    const res = await fetch(`${thingsUrl}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  /** Scopegate in process, with the API, its scopes and claim category, and three clients. */
  const startScopegate = async () => {
    app = await startTestApp({ ...ADMIN_ENV });
    admin = await adminToken(app);
    const call = (path: string, body: unknown) => api(app, path, admin, { method: 'POST', body });
    const client = async (body: Record<string, unknown>): Promise<Credentials> => {
      const res = await call('/admin/clients', { grant_types: ['client_credentials'], ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as Credentials;
    };
    expect((await call('/admin/claim-categories', { name: 'secret' })).status).toBe(201);
    for (const body of [{ name: 'things:read' }, { name: 'things:secret', claim_category: 'secret' }])
      expect((await call('/admin/scopes', body)).status).toBe(201);
    rs = await client({ client_name: 'things-api', role: 'resource-server' });
    const created = await call('/admin/apis', {
      identifier: THINGS,
      name: 'Things',
      scopes: ['things:read', 'things:secret'],
      resource_server_clients: [rs.client_id],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    reader = await client({ client_name: 'reader', scope: 'things:read' });
    secretReader = await client({ client_name: 'secret reader', scope: 'things:read things:secret' });
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'scopegate-tarball-'));
    appDir = join(work, 'things-api');
    const started = Date.now();
    const phases: Record<string, number> = {};
    const timed = async <T>(name: string, p: Promise<T>) => {
      const v = await p;
      phases[name] = Date.now() - started;
      return v;
    };
    const [packed] = await Promise.all([
      timed(
        'packed, installed, compiled',
        packNest(work).then(async (p) => {
          await buildScratchApp(appDir, p);
          return p;
        }),
      ),
      timed('scopegate', startScopegate()),
    ]);
    files = packed.files;

    const port = await freePort();
    thingsUrl = `http://127.0.0.1:${port}`;
    things = spawnScript(join(appDir, 'dist', 'main.js'), {
      PORT: String(port),
      SCOPEGATE_ISSUER: app.url,
      SCOPEGATE_CLIENT_ID: rs.client_id,
      SCOPEGATE_CLIENT_SECRET: rs.client_secret,
    });
    // Ready once a protected call stops answering 503 (keys, catalog and revocation feed loaded).
    const token = await tokenFor(reader);
    for (;;) {
      const status = await fetch(`${thingsUrl}/things/1`, { headers: { authorization: `Bearer ${token}` } })
        .then((r) => r.status)
        .catch(() => 0);
      if (status !== 0 && status !== 503) break;
      if (Date.now() - started > 90_000)
        throw new Error(`the scratch app never got ready:\n${things.stdout()}\n${things.stderr()}`);
      await sleep(50);
    }
    phases.ready = Date.now() - started;
    console.log(`package tarball e2e, ms since start: ${JSON.stringify(phases)}`);
  }, 120_000);

  afterAll(async () => {
    if (things) {
      things.child.kill('SIGTERM');
      await things.exited;
    }
    await app?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the build and its declarations, not the sources, specs or build config', () => {
    for (const file of ['package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts'])
      expect(files).toContain(file);
    expect(files).toContain('package/dist/core/index.js');
    expect(files).toContain('package/dist/core/index.d.ts');
    expect(files).toContain('package/README.md');
    expect(files.filter((f) => f.startsWith('package/src/'))).toEqual([]);
    expect(files.filter((f) => /\.spec\./.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)tsconfig[^/]*$/.test(f))).toEqual([]);
  });

  it('installs as a real package, without @nestjs/swagger (an optional peer)', () => {
    const installed = join(appDir, 'node_modules', '@scopegate', 'nest');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(existsSync(join(installed, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(appDir, 'node_modules', '@nestjs', 'swagger'))).toBe(false);
    expect(existsSync(join(appDir, 'node_modules', '@nestjs', 'platform-fastify'))).toBe(false);
  });

  it('ships source maps that carry their sources (the TypeScript sources are not in the tarball)', () => {
    const dist = join(appDir, 'node_modules', '@scopegate', 'nest', 'dist');
    const maps = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const unreadable = maps.filter((file) => {
      const map = JSON.parse(readFileSync(join(dist, file), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      return map.sources.some(
        (source, i) =>
          typeof map.sourcesContent?.[i] !== 'string' && !existsSync(join(dist, dirname(file), source)),
      );
    });
    expect(unreadable).toEqual([]);
  });

  it('opens a @Public() route without a token (and the ./core entry point loads)', async () => {
    const res = await get('/hello');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ hello: 'world', realm: 'scopegate' });
  });

  it('refuses a call without a token: 401 with a bare Bearer challenge, not cached (RFC 6750 §3)', async () => {
    const res = await get('/things/1');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="scopegate"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ error: 'invalid_token' });
  });

  it('refuses a token without the route’s scope: 403 insufficient_scope naming it', async () => {
    const res = await get('/things/1', await tokenFor(secretReader, 'things:secret'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'insufficient_scope' });
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="things:read"');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers with the fields the token’s scopes grant, to the principal it names', async () => {
    const read = await get('/things/1', await tokenFor(reader));
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ id: '1', name: 'Thing 1', caller: reader.client_id });

    const secret = await get('/things/2', await tokenFor(secretReader));
    expect(secret.status).toBe(200);
    expect(secret.body).toEqual({
      id: '2',
      name: 'Thing 2',
      caller: secretReader.client_id,
      secret: 'secret of 2',
    });
  });

  it('reports each call with the Express route pattern to Scopegate’s audit log', async () => {
    const token = await tokenFor(reader);
    const { jti } = decodeJwt(token);
    expect((await get('/things/3?view=full', token)).status).toBe(200);
    let events: Record<string, any>[] = [];
    for (let i = 0; i < 50 && events.length < 1; i++) {
      await sleep(200);
      events = (await api(app, `/admin/audit?jti=${jti}&type=api.call`, admin)).body.data;
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      client_id: reader.client_id,
      details: {
        method: 'GET',
        path: '/things/:id',
        status: 200,
        decision: 'allowed',
        audience: THINGS,
        reported_by: rs.client_id,
        scopes_used: ['things:read'],
      },
    });
  });
});
