import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../src/database/migrations';
const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;
import { startTestApp, type TestApp } from '../support/app';

describe('health and request ids', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('GET /health/live answers 200', async () => {
    const res = await fetch(`${app.url}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /health/ready names its components, up or down, and nothing else', async () => {
    const res = await fetch(`${app.url}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      components: { database: 'up', notifications: 'up', keys: 'up' },
    });
  });

  it('ran the real migrations (and no synchronize)', async () => {
    const rows = await app.app.get(DataSourceToken).query('SELECT name FROM migrations ORDER BY id');
    expect(rows.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
  });

  it.each([
    ['a well-formed id is echoed', 'req-123_abc.DEF', 'req-123_abc.DEF'],
    ['128 characters are accepted', 'a'.repeat(128), 'a'.repeat(128)],
  ])('%s', async (_name, sent, expected) => {
    const res = await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': sent } });
    expect(res.headers.get('x-request-id')).toBe(expected);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['bad characters', 'abc def'],
    ['header injection attempt', 'abc<script>'],
  ])('replaces an id that is %s', async (_name, sent) => {
    const res = await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': sent } });
    const id = res.headers.get('x-request-id');
    expect(id).not.toBe(sent);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('generates an id when none is sent, and on error responses too', async () => {
    const a = await fetch(`${app.url}/health/live`);
    const b = await fetch(`${app.url}/no-such-route`);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.status).toBe(404);
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('sends security headers', async () => {
    const res = await fetch(`${app.url}/health/live`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    const ui = await fetch(`${app.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    const doc = (await (await fetch(`${app.url}/docs-json`)).json()) as {
      openapi: string;
      info: { title: string };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Scopegate');
  });
});

describe('GET /metrics', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('serves Prometheus metrics with request latency by route template', async () => {
    await fetch(`${app.url}/health/live`);
    await fetch(`${app.url}/.well-known/jwks.json`);
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('scopegate_process_cpu_user_seconds_total');
    expect(text).toMatch(
      /scopegate_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} [1-9]/,
    );
    expect(text).toContain('scopegate_revoked_tokens_in_memory 0');
  });
});
