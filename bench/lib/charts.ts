/**
 * SVG charts of a bench report (bench/results/charts/*.svg, shown in bench/README.md): freshness
 * latency at each rate, recompute users/s and CPU per user by batch size, reads per cache tier
 * beside the bare route. Vega-Lite specs rendered to SVG in Node by Vega's headless view (no
 * browser, no canvas: text widths are estimated).
 */
import { DASHBOARD_AGGREGATE } from '@shared/aggregates/registry';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchReport, FreshnessResult, ReadsResult, RecomputeResult } from './results';

export interface Chart {
  /** File name without extension. */
  name: 'freshness' | 'recompute-batch' | 'reads';
  spec: TopLevelSpec;
}

const WIDTH = 420;
const HEIGHT = 260;
const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 }, legend: { labelFontSize: 11, titleFontSize: 11 }, title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' as const } };

/** "full run 2026-11-30 04:18 UTC, 2 × AMD EPYC, load 4.4 → 9.2": what the figures were measured on. */
export function runLabel(report: Pick<BenchReport, 'mode' | 'machine'>): string {
  const { machine } = report;
  const when = machine.date.slice(0, 16).replace('T', ' ');
  const load = machine.loadAverageStart[0] !== undefined ? `, load ${machine.loadAverageStart[0].toFixed(1)} → ${(machine.loadAverageEnd[0] ?? NaN).toFixed(1)}` : '';
  return `${report.mode} run ${when} UTC, ${machine.cpus.count} × ${machine.cpus.model}${load}`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Latency percentiles at each rate the freshness scenario ran: quiet, the rate steps, the steady 1,000/s. */
export function freshnessRows(f: FreshnessResult): { rate: string; eventsPerSec: number; percentile: string; ms: number }[] {
  const rows: { rate: string; eventsPerSec: number; percentile: string; ms: number }[] = [];
  const add = (eventsPerSec: number, rate: string, figures: Record<string, number | undefined>) => {
    for (const [percentile, ms] of Object.entries(figures)) if (ms !== undefined && Number.isFinite(ms)) rows.push({ rate, eventsPerSec, percentile, ms });
  };
  add(f.quiet.eventsPerSec, `${fmt(f.quiet.eventsPerSec)}/s quiet`, { p50: f.quiet.p50Ms, p95: f.quiet.p95Ms, p99: f.quiet.p99Ms });
  for (const step of f.steps) add(step.eventsPerSec, `${fmt(step.eventsPerSec)}/s step`, { p99: step.p99Ms });
  add(f.targetEventsPerSec, `${fmt(f.targetEventsPerSec)}/s steady`, { p50: f.p50Ms, p95: f.p95Ms, p99: f.p99Ms, max: f.maxMs });
  return rows;
}

function freshnessChart(f: FreshnessResult, subtitle: string): TopLevelSpec {
  const rows = freshnessRows(f);
  const order = [...new Set([...rows].sort((a, b) => a.eventsPerSec - b.eventsPerSec || a.rate.localeCompare(b.rate)).map((r) => r.rate))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Freshness: event → visible in the API, by rate', subtitle: [subtitle, 'bars: latency percentiles (log scale); line: SPEC 6 target p99 ≤ 1 s'] },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'rate', type: 'nominal', sort: order, title: 'events/s', axis: { labelAngle: 0 } },
          xOffset: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99', 'max'] },
          y: { field: 'ms', type: 'quantitative', stack: null, scale: { type: 'log' }, title: 'ms (log)' },
          color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99', 'max'], scale: { range: ['#4c78a8', '#f58518', '#e45756', '#9d755d'] }, title: null },
        },
      },
      {
        data: { values: [{ ms: 1_000 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#333' },
        encoding: { y: { field: 'ms', type: 'quantitative' } },
      },
    ],
  };
}

/** One row per batch run: "64" or "64 × 2 in flight". */
export function recomputeRows(r: RecomputeResult): { batch: string; usersPerSec: number; process: string; cpuMs: number }[] {
  return r.batch.flatMap((b) => {
    const batch = b.inFlight > 1 ? `${b.batchSize} × ${b.inFlight}` : String(b.batchSize);
    const cpu = { node: b.cpuMsPerUser.node, postgres: b.cpuMsPerUser.postgres, redis: b.cpuMsPerUser.redis };
    return Object.entries(cpu)
      .filter((e): e is [string, number] => e[1] !== null)
      .map(([process, cpuMs]) => ({ batch, usersPerSec: b.usersPerSec, process, cpuMs }));
  });
}

function recomputeChart(r: RecomputeResult, subtitle: string): TopLevelSpec {
  const rows = recomputeRows(r);
  const order = [...new Set(rows.map((row) => row.batch))];
  const perBatch = order.map((batch) => ({ batch, usersPerSec: rows.find((row) => row.batch === batch)!.usersPerSec }));
  const x = { field: 'batch', type: 'nominal' as const, sort: order, title: 'users per batch (× batches in flight)', axis: { labelAngle: 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `Recompute by batch size (${fmt(r.batchEvents)}-event users)`, subtitle: [subtitle, 'left: users recomputed per second; right: CPU ms per user by process (target ≤ 2 ms)'] },
    config: CONFIG,
    hconcat: [
      {
        width: WIDTH / 2,
        height: HEIGHT,
        data: { values: perBatch },
        layer: [
          { mark: { type: 'bar', color: '#4c78a8', tooltip: true }, encoding: { x, y: { field: 'usersPerSec', type: 'quantitative', title: 'users/s' } } },
          { mark: { type: 'text', dy: -6, fontSize: 11 }, encoding: { x, y: { field: 'usersPerSec', type: 'quantitative' }, text: { field: 'usersPerSec', type: 'quantitative' } } },
        ],
      },
      {
        width: WIDTH / 2,
        height: HEIGHT,
        layer: [
          {
            data: { values: rows },
            mark: { type: 'bar', tooltip: true },
            encoding: {
              x,
              y: { field: 'cpuMs', type: 'quantitative', stack: 'zero', title: 'CPU ms per user' },
              color: { field: 'process', type: 'nominal', sort: ['node', 'postgres', 'redis'], scale: { range: ['#54a24b', '#4c78a8', '#e45756'] }, title: null },
              order: { field: 'process', sort: 'ascending' },
            },
          },
          { data: { values: [{ cpuMs: 2 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#333' }, encoding: { y: { field: 'cpuMs', type: 'quantitative' } } },
        ],
      },
    ],
  };
}

/** Requests per second of each read path, and of the ceilings measured beside them. */
export function readsRows(r: ReadsResult): { path: string; kind: string; rps: number; label: string }[] {
  const tier = (path: string, t: { rps: number; ratio: number }) => ({ path, kind: 'the app', rps: t.rps, label: `${fmt(t.rps)} (${t.ratio.toFixed(2)}×)` });
  return [
    { path: 'bare Express', kind: 'ceiling', rps: r.bareExpress.rps, label: fmt(r.bareExpress.rps) },
    { path: r.middlewareCeiling.path, kind: 'ceiling', rps: r.middlewareCeiling.rps, label: `${fmt(r.middlewareCeiling.rps)} (${r.middlewareCeiling.ratio.toFixed(2)}×)` },
    tier('L1 hit', r.l1),
    tier('L2 hit', r.l2),
    tier('summary table', r.db),
  ];
}

function readsChart(r: ReadsResult, subtitle: string): TopLevelSpec {
  const rows = readsRows(r);
  const order = rows.map((row) => row.path);
  const x = { field: 'path', type: 'nominal' as const, sort: order, title: null, axis: { labelAngle: 0 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Reads per cache tier beside the bare route',
      subtitle: [subtitle, `GET /api/analytics/${DASHBOARD_AGGREGATE}, ${r.connections} connections; (n×) = ÷ bare Express`],
    },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x,
          y: { field: 'rps', type: 'quantitative', title: 'requests/s' },
          color: { field: 'kind', type: 'nominal', scale: { domain: ['ceiling', 'the app'], range: ['#bab0ac', '#4c78a8'] }, title: null },
        },
      },
      { mark: { type: 'text', dy: -6, fontSize: 11 }, encoding: { x, y: { field: 'rps', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } } },
    ],
  };
}

/** The charts a report has figures for (a scenario that did not run gives no chart). */
export function chartSpecs(report: BenchReport): Chart[] {
  const subtitle = runLabel(report);
  const charts: Chart[] = [];
  if (report.freshness) charts.push({ name: 'freshness', spec: freshnessChart(report.freshness, subtitle) });
  if (report.recompute?.batch?.length) charts.push({ name: 'recompute-batch', spec: recomputeChart(report.recompute, subtitle) });
  if (report.reads) charts.push({ name: 'reads', spec: readsChart(report.reads, subtitle) });
  return charts;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parseVega(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<dir>/<name>.svg` for each chart of the report; returns the paths written. */
export async function writeCharts(report: BenchReport, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const chart of chartSpecs(report)) {
    const path = join(dir, `${chart.name}.svg`);
    writeFileSync(path, `${await renderSvg(chart.spec)}\n`);
    written.push(path);
  }
  return written;
}
