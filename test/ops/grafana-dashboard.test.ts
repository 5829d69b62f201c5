import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dashboardExpressions, loadDashboard, OPS_DIR } from './promql-expressions';
import { promtool } from './prometheus-server';

/**
 * The Grafana dashboard as Grafana's provisioning loads it: the fields its schema needs, a data
 * source on every panel that is the provisioned one, an expression and a unit on every panel,
 * a grid without overlaps, and every expression valid PromQL (promtool). Whether each
 * expression returns data is test/ops/prometheus-live.test.ts's job.
 */
const dashboard = loadDashboard();
const datasources = parse(readFileSync(join(OPS_DIR, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
  datasources: { uid: string; type: string; url: string }[];
};
const provider = parse(readFileSync(join(OPS_DIR, 'grafana/provisioning/dashboards/study-analytics.yml'), 'utf8')) as {
  providers: { type: string; options: { path: string } }[];
};
const PANEL_TYPES = ['timeseries', 'stat'];

it('has the top-level fields Grafana needs to load it', () => {
  expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
  expect(dashboard.title).toBeTruthy();
  expect(typeof dashboard.schemaVersion).toBe('number');
  expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
  expect(dashboard).toHaveProperty('time.from');
  expect(dashboard.panels.length).toBeGreaterThanOrEqual(15);
  expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
});

it('provisions one Prometheus data source and a file provider for the dashboards folder', () => {
  expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
  expect(provider.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/etc/grafana/dashboards' }) })]);
});

describe.each(dashboard.panels.map((p) => [p.title, p] as const))('panel "%s"', (_title, panel) => {
  const uid = datasources.datasources[0]!.uid;

  it('has a type, the provisioned data source, expressions and a unit', () => {
    expect(PANEL_TYPES).toContain(panel.type);
    expect(panel.datasource).toEqual({ type: 'prometheus', uid });
    expect(panel.targets?.length).toBeGreaterThan(0);
    for (const target of panel.targets!) {
      expect(target.refId).toMatch(/^[A-Z]$/);
      expect(target.expr?.trim().length).toBeGreaterThan(0);
      expect(target.datasource).toEqual({ type: 'prometheus', uid });
      expect(target.legendFormat?.length).toBeGreaterThan(0);
    }
    expect(new Set(panel.targets!.map((t) => t.refId)).size).toBe(panel.targets!.length);
    expect(panel.fieldConfig?.defaults?.unit).toMatch(/^(s|ms|ops|reqps|short|bytes|percentunit)$/);
  });

  it('sits inside the 24-column grid', () => {
    const { x, y, w, h } = panel.gridPos!;
    for (const n of [x, y, w, h]) expect(Number.isInteger(n)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x + w).toBeLessThanOrEqual(24);
    expect(w).toBeGreaterThan(0);
    expect(h).toBeGreaterThan(0);
  });
});

it('no two panels overlap', () => {
  const cells = new Map<string, string>();
  for (const p of dashboard.panels) {
    const { x, y, w, h } = p.gridPos!;
    for (let i = x; i < x + w; i += 1)
      for (let j = y; j < y + h; j += 1) {
        expect(cells.get(`${i},${j}`)).toBeUndefined();
        cells.set(`${i},${j}`, p.title);
      }
  }
});

it('shows what operators watch: freshness, rates, queues, cache tiers, the pool with its 80/95 % lines, slow queries, Redis, HTTP per route', () => {
  const exprs = dashboardExpressions().map((e) => e.expr);
  const uses = (pattern: RegExp) => exprs.some((e) => pattern.test(e));
  expect(uses(/event_to_visible_seconds:p99/)).toBe(true);
  expect(uses(/ingest_rows_inserted_total/) && uses(/recompute_duration_seconds_count/)).toBe(true);
  expect(uses(/queue:queue_jobs:max/) && uses(/queue:waiting_drain_seconds/)).toBe(true);
  expect(uses(/tier:cache_reads/)).toBe(true);
  expect(uses(/db_slow_queries_total/)).toBe(true);
  expect(uses(/redis_used_memory_bytes/) && uses(/redis_ping_latency_seconds/)).toBe(true);
  expect(uses(/by \(route\).*http_request_duration_seconds_count/) && uses(/by \(route, le\).*http_request_duration_seconds_bucket/)).toBe(true);
  const pool = dashboard.panels.find((p) => p.targets?.some((t) => t.expr === 'db_pool_utilization_ratio'));
  expect(pool?.fieldConfig?.defaults?.thresholds?.steps.map((s) => s.value)).toEqual([null, 0.8, 0.95]);
  expect(pool?.fieldConfig?.defaults?.unit).toBe('percentunit');
});

it('every expression is valid PromQL (promtool checks them as recording rules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-dashboard-'));
  try {
    const rules = dashboardExpressions().map((e, i) => ({ record: `dashboard:expression_${i}`, expr: e.expr }));
    writeFileSync(join(dir, 'panels.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const { status, output } = promtool(['check', 'rules', join(dir, 'panels.yml')]);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
