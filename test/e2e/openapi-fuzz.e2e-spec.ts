import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import {
  FuzzRequest,
  garbageAuthorization,
  headerValue,
  operationsOf,
  percentEncode,
  SchemaArbitraries,
  send,
  sometimes,
  valueEncoder,
  WRONG_CONTENT_TYPES,
  type FuzzResponse,
  type OpenApiDocument,
  type Operation,
} from '../support/openapi-fuzz';
import { startTestApp, type TestApp } from '../support/app';
import { accessToken, ADMIN_ENV, ADMIN_ID, adminToken, api, basic, seedDemo } from '../support/oauth';

/**
 * Property: whatever is sent to any operation of the OpenAPI document — values from its schema mixed
 * with hostile ones, in the documented and in wrong encodings, with no, valid or garbage credentials —
 * the answer is below 500, a 4xx is JSON in the endpoint's error shape, and no body carries a stack trace.
 *
 * Reproducible: a fixed seed by default; FUZZ_SEED and FUZZ_RUNS (runs per operation) override it, and a
 * failure prints the seed and path fast-check needs to replay it.
 */
const SEED = envInt('FUZZ_SEED', 20_261_201);
const RUNS = envInt('FUZZ_RUNS', 8);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * The authorization endpoint talks to a person's browser: errors about the client or its redirect URI
 * are HTML pages (RFC 6749 §4.1.2.1), not JSON.
 */
const HTML_OPERATIONS = new Set(['GET /oauth/authorize', 'POST /oauth/authorize']);

/** Client authentication (RFC 6749 §2.3.1) rather than a bearer token is what "valid credentials" means here. */
const CLIENT_AUTH_OPERATIONS = new Set([
  'POST /oauth/token',
  'POST /oauth/introspect',
  'POST /oauth/revoke',
  'POST /auth',
]);

const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\([^)]*:\d+:\d+\)|node_modules|\/src\/|\.ts:\d+/;

describe('OpenAPI fuzz: no 5xx on any documented operation', () => {
  let app: TestApp;
  let doc: OpenApiDocument;
  let operations: Operation[];
  let hostile: SchemaArbitraries;
  let clean: SchemaArbitraries;
  let adminBearer: string;
  let adminBasic: string;
  /** Existing ids per path parameter, so that requests also reach the code behind the 404. */
  const known = new Map<string, string[]>();
  /** Requests sent per operation. */
  const covered = new Map<string, number>();

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    const creds = await seedDemo(app);
    const bootstrapAdmin = await adminToken(app);

    // The credentials of the "valid" auth variant: the demo admin client (all scopes, `admin`
    // included). Its token lives an hour so that no run outlasts it.
    const demoAdmin = creds.admin;
    const patched = await api(app, `/admin/clients/${demoAdmin.client_id}`, bootstrapAdmin, {
      method: 'PATCH',
      body: { access_token_ttl: 3600 },
    });
    expect(patched.status).toBe(200);
    adminBearer = `Bearer ${await accessToken(app, demoAdmin.client_id, demoAdmin.client_secret)}`;
    adminBasic = basic(demoAdmin.client_id, demoAdmin.client_secret);
    const adminScopes = new Set(
      (
        JSON.parse(Buffer.from(adminBearer.split('.')[1], 'base64url').toString()) as { scope: string }
      ).scope.split(' '),
    );

    // Things of its own the fuzzer may disable, rotate, revoke and delete.
    const scope = await api(app, '/admin/scopes', bootstrapAdmin, {
      method: 'POST',
      body: { name: 'fuzz:scope' },
    });
    const role = await api(app, '/admin/roles', bootstrapAdmin, {
      method: 'POST',
      body: { name: 'fuzz-role', scopes: ['fuzz:scope'] },
    });
    const client = await api(app, '/admin/clients', bootstrapAdmin, {
      method: 'POST',
      body: { client_name: 'fuzz client', role: 'fuzz-role' },
    });
    const user = await api(app, '/admin/users', bootstrapAdmin, {
      method: 'POST',
      body: { username: 'fuzz-user', password: 'plum tractor elbow 42' },
    });
    expect([scope.status, role.status, client.status, user.status]).toEqual([201, 201, 201, 201]);
    const fuzzToken = await accessToken(app, client.body.client_id, client.body.client_secret);
    const fuzzJti = (
      JSON.parse(Buffer.from(fuzzToken.split('.')[1], 'base64url').toString()) as { jti: string }
    ).jti;

    /*
     * Exclusions, so that destructive operations cannot break the run for the others: the two admin
     * clients (disabling one, rotating its secret or revoking its tokens would turn every later admin
     * request into a 401), the `admin` role and the scopes the admin token carries. Everything else
     * that exists is fair game.
     */
    const excludedClients = new Set([ADMIN_ID, demoAdmin.client_id]);
    const clients = (await api(app, '/admin/clients?limit=100', bootstrapAdmin)).body.data as {
      client_id: string;
    }[];
    const roles = (await api(app, '/admin/roles', bootstrapAdmin)).body as { name: string }[];
    const scopes = (await api(app, '/admin/scopes', bootstrapAdmin)).body as { name: string }[];
    const users = (await api(app, '/admin/users?limit=100', bootstrapAdmin)).body.data as { id: string }[];
    known.set(
      'clientId',
      clients.map((c) => c.client_id).filter((id) => !excludedClients.has(id)),
    );
    known.set(
      '/admin/roles/{name}',
      roles.map((r) => r.name).filter((n) => n !== 'admin'),
    );
    known.set(
      '/admin/scopes/{name}',
      scopes.map((s) => s.name).filter((n) => !adminScopes.has(n)),
    );
    known.set(
      '/admin/users/{id}',
      users.map((u) => u.id),
    );
    known.set('/customers/{id}', [1, 2, 3, 4, 5].map(demoCustomerId));
    known.set('jti', [fuzzJti]);

    doc = (await (await fetch(`${app.url}/docs-json`)).json()) as OpenApiDocument;
    operations = operationsOf(doc);
    hostile = new SchemaArbitraries(doc, true);
    clean = new SchemaArbitraries(doc, false);
  });

  afterAll(async () => {
    await app?.stop();
  });

  const keyOf = (o: Operation) => `${o.method} ${o.path}`;

  function knownValues(o: Operation, param: string): string[] {
    const prefix = o.path.slice(0, o.path.indexOf(`{${param}}`) + param.length + 2);
    return known.get(prefix) ?? known.get(param) ?? [];
  }

  /**
   * Requests for one operation, built from its parameters and request body: one in three well-formed
   * (to get past validation into the services), the others hostile.
   */
  const requests = (o: Operation) =>
    fc.oneof(
      { arbitrary: requestsOf(o, clean), weight: 1 },
      { arbitrary: requestsOf(o, hostile), weight: 2 },
    );

  function requestsOf(o: Operation, schemas: SchemaArbitraries): fc.Arbitrary<FuzzRequest> {
    const params = o.op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const queryParams = params.filter((p) => p.in === 'query');
    const headerParams = params.filter((p) => p.in === 'header');

    const pathValue = (name: string, schema: Parameters<SchemaArbitraries['scalar']>[0]) => {
      const existing = knownValues(o, name);
      return fc
        .tuple(
          fc.oneof(...(existing.length ? [{ arbitrary: fc.constantFrom(...existing), weight: 3 }] : []), {
            arbitrary: schemas.scalar(schema, true),
            weight: 3,
          }),
          schemas.hostile
            ? fc.oneof(
                { arbitrary: fc.constant(percentEncode), weight: 4 },
                { arbitrary: valueEncoder, weight: 1 },
              )
            : fc.constant(percentEncode),
        )
        .map(([v, enc]) => enc(v));
    };

    const path = fc
      .tuple(...pathParams.map((p) => pathValue(p.name, p.schema).map((v): [string, string] => [p.name, v])))
      .map((values) => values.reduce((acc, [name, v]) => acc.replace(`{${name}}`, v), o.path));

    const queryPair = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
      fc
        .tuple(name, value, schemas.hostile ? valueEncoder : fc.constant(percentEncode))
        .map(([n, v, enc]) => `${enc(n)}=${enc(v)}`);
    const documentedQuery = queryParams.map((p) => {
      // A repeated parameter is an array where a scalar is expected.
      const values = fc.array(queryPair(fc.constant(p.name), schemas.scalar(p.schema, true)), {
        minLength: 1,
        maxLength: schemas.hostile ? 2 : 1,
      });
      if (p.required) return schemas.hostile ? sometimes(values, 10, 1) : values;
      return schemas.hostile ? sometimes(values, 1, 1) : sometimes(values, 1, 3);
    });
    const query = fc
      .tuple(
        fc.tuple(...documentedQuery),
        // Undocumented parameters now and then (most endpoints refuse them, hiding the rest).
        fc.oneof(
          { arbitrary: fc.constant([]), weight: schemas.hostile ? 3 : 1 },
          {
            arbitrary: fc.array(
              queryPair(
                fc.oneof(
                  fc.constantFrom('access_token', '__proto__', 'constructor', 'limit[]', 'a[b]'),
                  schemas.scalar(undefined, true),
                ),
                schemas.scalar(undefined, true),
              ),
              { minLength: 1, maxLength: 2 },
            ),
            weight: schemas.hostile ? 1 : 0,
          },
        ),
        fc.oneof(
          { arbitrary: fc.constant(''), weight: 12 },
          { arbitrary: fc.constantFrom('&', '&&', '=', '%', '?'), weight: schemas.hostile ? 1 : 0 },
        ),
      )
      .map(([doc, extra, tail]) => {
        const pairs = [...doc.flatMap((p) => p ?? []), ...extra];
        return pairs.length || tail ? `?${pairs.join('&')}${tail}` : '';
      });

    const headers = fc
      .tuple(
        ...headerParams.map((p) =>
          fc
            .option(fc.oneof(headerValue, fc.array(headerValue, { minLength: 2, maxLength: 2 })), {
              freq: 2,
              nil: undefined,
            })
            .map((v) => [p.name, v] as const),
        ),
      )
      .map(
        (pairs) =>
          Object.fromEntries(pairs.filter(([, v]) => v !== undefined)) as Record<string, string | string[]>,
      );

    const body = bodies(o, schemas);

    return fc
      .tuple(path, query, headers, body, garbageAuthorization)
      .map(
        ([p, q, h, b, garbage]) =>
          new FuzzRequest(
            o.method,
            p + q,
            { ...h, ...(b && b.contentType !== undefined ? { 'content-type': b.contentType } : {}) },
            b?.bytes,
            garbage,
          ),
      );
  }

  /** Documented content types with schema-driven bodies, wrong content types, and no body at all. */
  function bodies(
    o: Operation,
    schemas: SchemaArbitraries,
  ): fc.Arbitrary<{ contentType?: string; bytes: Buffer } | undefined> {
    const content = o.op.requestBody?.content ?? {};
    const json = (s: Parameters<SchemaArbitraries['jsonBody']>[0]) =>
      schemas.jsonBody(s).map((t) => Buffer.from(t, 'utf8'));
    const form = (s: Parameters<SchemaArbitraries['formBody']>[0]) =>
      schemas.formBody(s).map((t) => Buffer.from(t, 'latin1'));
    const documented = Object.entries(content).map(([type, { schema }]) =>
      (type.includes('json') ? json(schema) : form(schema)).map((bytes) => ({ contentType: type, bytes })),
    );
    const anySchema = Object.values(content)[0]?.schema;
    const undocumented = fc.oneof(json(anySchema), form(anySchema));
    const wrong = fc
      .tuple(
        fc.constantFrom(...WRONG_CONTENT_TYPES, undefined),
        fc.oneof(
          undocumented,
          fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
        ),
      )
      .map(([contentType, bytes]) => ({ contentType, bytes }));
    const empty = fc
      .constantFrom('application/json', 'application/x-www-form-urlencoded', undefined)
      .map((contentType) => ({ contentType, bytes: Buffer.alloc(0) }));
    const none = fc.constant(undefined);
    if (!schemas.hostile) return documented.length ? fc.oneof(...documented) : none;
    if (documented.length) {
      return fc.oneof(
        ...documented.map((arbitrary) => ({ arbitrary, weight: Math.ceil(8 / documented.length) })),
        { arbitrary: wrong, weight: 2 },
        { arbitrary: empty, weight: 1 },
        { arbitrary: none, weight: 1 },
      );
    }
    // No documented body: mostly none, sometimes one in the usual encodings (e.g. the HTML login form).
    return fc.oneof(
      { arbitrary: none, weight: o.method === 'POST' ? 2 : 6 },
      {
        arbitrary: fc
          .tuple(fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), undocumented)
          .map(([contentType, bytes]) => ({ contentType, bytes })),
        weight: 2,
      },
      { arbitrary: wrong, weight: 1 },
      { arbitrary: empty, weight: 1 },
    );
  }

  /** What is wrong with an answer, or undefined. */
  function problem(o: Operation, res: FuzzResponse): string | undefined {
    if (res.status >= 500) return `status ${res.status}`;
    if (STACK_TRACE.test(res.text)) return 'a stack trace in the body';
    if (res.status < 400) return undefined;
    const type = String(res.headers['content-type'] ?? '');
    if (HTML_OPERATIONS.has(keyOf(o)) && type.startsWith('text/html')) return undefined;
    if (!type.startsWith('application/json'))
      return `a ${res.status} with content-type ${JSON.stringify(type)}`;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.text) as Record<string, unknown>;
    } catch {
      return `a ${res.status} whose body is not JSON`;
    }
    const oauthShape =
      typeof body?.error === 'string' &&
      /^[a-z_]+$/.test(body.error) &&
      typeof body.error_description === 'string';
    // RFC 6749 §5.2 on the OAuth endpoints (and the ones documenting that shape for their errors) …
    if (o.path.startsWith('/oauth/') || usesTokenErrorShape(o)) {
      return oauthShape ? undefined : `a ${res.status} not in RFC 6749 §5.2 shape`;
    }
    // … elsewhere Nest's { statusCode, message }, or RFC 6750 §3 from the bearer-token guard.
    const nestShape =
      body?.statusCode === res.status &&
      (typeof body.message === 'string' ||
        (Array.isArray(body.message) && body.message.every((m) => typeof m === 'string')));
    return nestShape || oauthShape ? undefined : `a ${res.status} in neither error shape`;
  }

  const usesTokenErrorShape = (o: Operation) =>
    Object.values(o.op.responses).some((r) =>
      Object.values(r.content ?? {}).some((c) => c.schema?.$ref === '#/components/schemas/TokenErrorDto'),
    );

  const AUTH_VARIANTS = ['none', 'valid', 'garbage'] as const;

  it('the document has operations and every one of them is fuzzed', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(40);
    const failures: string[] = [];
    for (const o of operations) {
      const details = await fc.check(
        fc.asyncProperty(requests(o), async (req) => {
          for (const variant of AUTH_VARIANTS) {
            const headers = { ...req.headers };
            if (variant === 'valid')
              headers.authorization = CLIENT_AUTH_OPERATIONS.has(keyOf(o)) ? adminBasic : adminBearer;
            if (variant === 'garbage') headers.authorization = req.garbageAuth;
            const res = await send(app.url, req.method, req.target, headers, req.body);
            covered.set(keyOf(o), (covered.get(keyOf(o)) ?? 0) + 1);
            const wrong = problem(o, res);
            if (wrong) {
              throw new Error(`${wrong} with auth ${variant}: ${res.status} ${res.text.slice(0, 500)}`);
            }
          }
        }),
        { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
      );
      if (details.failed) {
        failures.push(
          `${keyOf(o)} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})\n${fc.defaultReportMessage(details)}`,
        );
      }

      // Destructive operations must not have broken the others' credentials.
      const stillAdmin = await send(app.url, 'GET', '/admin/keys', { authorization: adminBearer }, undefined);
      if (stillAdmin.status !== 200) failures.push(`the admin token stopped working after ${keyOf(o)}`);
    }
    expect(failures.join('\n\n')).toBe('');
    // New endpoints are fuzzed automatically: every documented operation was sent requests.
    expect(covered.size).toBe(operations.length);
    expect([...covered.keys()].sort()).toEqual(operations.map(keyOf).sort());
  }, 170_000);
});
