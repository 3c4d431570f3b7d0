import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../support/app';

const METRICS_TOKEN = 'metrics-scraper-token-'.padEnd(48, 'm');

describe('/metrics behind a bearer token (METRICS_TOKEN)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ METRICS_TOKEN });
  });
  afterAll(() => app?.stop());

  const scrape = (authorization?: string) =>
    fetch(`${app.url}/metrics`, { headers: authorization ? { authorization } : {} });

  it('refuses a scrape without the token or with another one (401), serves it with the token', async () => {
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="scopegate"/);
    expect(((await none.json()) as { error: string }).error).toBe('invalid_token');
    expect((await scrape(`Bearer ${METRICS_TOKEN}x`)).status).toBe(401);
    expect((await scrape(`Bearer ${METRICS_TOKEN.slice(0, -1)}`)).status).toBe(401);
    expect((await scrape(`Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`)).status).toBe(401);
    const ok = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('scopegate_process_cpu_user_seconds_total');
  });
});

describe('/metrics on its own port (METRICS_PORT)', () => {
  let app: TestApp;
  let metricsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    app = await startTestApp({ METRICS_PORT: String(port), METRICS_TOKEN });
  });
  afterAll(() => app?.stop());

  it('serves metrics on the metrics port only, still behind the token when one is set', async () => {
    await fetch(`${app.url}/health/live`);
    expect(
      (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status,
    ).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(401);
    const res = await fetch(`${metricsUrl}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toMatch(
      /scopegate_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} [1-9]/,
    );
    // Nothing else is served there.
    expect((await fetch(`${metricsUrl}/health/live`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
    // Not in the API description of the main port.
    const doc = (await (await fetch(`${app.url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });

  it('stops listening on the metrics port when the app stops', async () => {
    await app.stop();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
    app = undefined as unknown as TestApp;
  });
});
