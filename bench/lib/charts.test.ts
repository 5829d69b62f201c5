import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartSpecs, freshnessRows, readsRows, recomputeRows, renderSvg, runLabel, writeCharts } from './charts';
import type { BenchReport, FreshnessResult, ReadsResult, RecomputeResult } from './results';

const freshness = {
  targetEventsPerSec: 1000,
  p50Ms: 640,
  p95Ms: 910,
  p99Ms: 980,
  maxMs: 1200,
  quiet: { eventsPerSec: 100, p50Ms: 120, p95Ms: 180, p99Ms: 210, notVisible: 0, probes: 300 },
  steps: [
    { eventsPerSec: 500, achievedEventsPerSec: 499, p99Ms: 420, backlogAtEnd: 0, notVisible: 0 },
    { eventsPerSec: 1500, achievedEventsPerSec: 1490, p99Ms: 2600, backlogAtEnd: 900, notVisible: 0 },
  ],
} as unknown as FreshnessResult;

const recompute = {
  batchEvents: 100,
  batch: [
    { batchSize: 1, inFlight: 1, users: 300, seconds: 3, usersPerSec: 100, cpuMsPerUser: { node: 4, postgres: 3, redis: 0.5, total: 7.5 } },
    { batchSize: 64, inFlight: 2, users: 1200, seconds: 3, usersPerSec: 400, cpuMsPerUser: { node: 1.3, postgres: null, redis: 0.2, total: null } },
  ],
} as unknown as RecomputeResult;

const reads = {
  connections: 32,
  bareExpress: { rps: 3000, p50Ms: 7, p99Ms: 40 },
  middlewareCeiling: { path: '/health/live', rps: 2700, p50Ms: 8, p99Ms: 44, ratio: 0.9 },
  l1: { rps: 2400, p50Ms: 10, p99Ms: 48, ratio: 0.8, tierShare: 1, errors: 0 },
  l2: { rps: 1500, p50Ms: 15, p99Ms: 60, ratio: 0.5, tierShare: 1, errors: 0 },
  db: { rps: 900, p50Ms: 30, p99Ms: 90, ratio: 0.3, tierShare: 1, errors: 0 },
} as unknown as ReadsResult;

const machine = { cpus: { model: 'Test CPU', count: 2 }, date: '2026-11-30T04:18:50.431Z', loadAverageStart: [4.43, 1, 1], loadAverageEnd: [9.17, 1, 1] };
const report = { mode: 'full', machine, freshness, recompute, reads, errors: {}, targets: [] } as unknown as BenchReport;

describe('bench charts', () => {
  it('labels the run with its mode, date, machine and load', () => {
    expect(runLabel(report)).toBe('full run 2026-11-30 04:18 UTC, 2 × Test CPU, load 4.4 → 9.2');
  });

  it('plots freshness percentiles at each rate: quiet, every step, the steady rate', () => {
    expect(freshnessRows(freshness).map((r) => `${r.rate} ${r.percentile} ${r.ms}`)).toEqual([
      '100/s quiet p50 120',
      '100/s quiet p95 180',
      '100/s quiet p99 210',
      '500/s step p99 420',
      '1,500/s step p99 2600',
      '1,000/s steady p50 640',
      '1,000/s steady p95 910',
      '1,000/s steady p99 980',
      '1,000/s steady max 1200',
    ]);
  });

  it('plots users/s and CPU per user by batch size, leaving out a process that could not be measured', () => {
    expect(recomputeRows(recompute).map((r) => `${r.batch} ${r.usersPerSec} ${r.process} ${r.cpuMs}`)).toEqual([
      '1 100 node 4',
      '1 100 postgres 3',
      '1 100 redis 0.5',
      '64 × 2 400 node 1.3',
      '64 × 2 400 redis 0.2',
    ]);
  });

  it('plots each read tier beside the bare route and the middleware ceiling, with its ratio', () => {
    expect(readsRows(reads).map((r) => `${r.path}: ${r.label}`)).toEqual([
      'bare Express: 3,000',
      '/health/live: 2,700 (0.90×)',
      'L1 hit: 2,400 (0.80×)',
      'L2 hit: 1,500 (0.50×)',
      'summary table: 900 (0.30×)',
    ]);
  });

  it('renders an SVG whose marks carry the figures', async () => {
    const svg = await renderSvg(chartSpecs(report).find((c) => c.name === 'reads')!.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Reads per cache tier beside the bare route');
    // Vega writes each mark's data into its aria-label: one bar per read path.
    const bars = (svg.match(/<[^>]*aria-roledescription="bar"[^>]*>/g) ?? []).map((tag) => /aria-label="([^"]*)"/.exec(tag)?.[1]);
    expect(bars.sort()).toEqual(
      ['/health/live; requests/s: 2700; kind: ceiling', 'L1 hit; requests/s: 2400; kind: the app', 'L2 hit; requests/s: 1500; kind: the app', 'bare Express; requests/s: 3000; kind: ceiling', 'summary table; requests/s: 900; kind: the app']
        .map((label) => `path: ${label}`)
        .sort(),
    );
    expect(svg).toContain('2,400 (0.80×)');
  });

  it('writes one SVG per scenario present, and none for a scenario that did not run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-charts-'));
    try {
      const written = await writeCharts({ ...report, freshness: undefined }, dir);
      expect(written.map((p) => p.slice(dir.length + 1))).toEqual(['recompute-batch.svg', 'reads.svg']);
      expect(existsSync(join(dir, 'freshness.svg'))).toBe(false);
      expect(readFileSync(join(dir, 'recompute-batch.svg'), 'utf8')).toContain('Recompute by batch size (100-event users)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
