/**
 * `pnpm bench [-- --quick] [-- --only=reads,cache]`: starts the system (private Redis,
 * fresh database, API + workers), runs each scenario (bench/README.md lists them), prints every target
 * met or missed and writes bench/results/latest.json, a dated copy, and SVG charts in
 * bench/results/charts/. Cleans up always. `pnpm bench -- --charts-only` redraws the charts
 * from latest.json without running anything.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runEmbeddedBench } from './embedded';
import { startBenchSystem } from './lib/bench-system';
import { writeCharts } from './lib/charts';
import { Cleanup } from './lib/cleanup';
import { describeMachine, loadAverageNow } from './lib/machine';
import { progressFor } from './lib/progress';
import { formatReport } from './lib/report';
import { SCENARIO_KEYS, type BenchReport, type ScenarioKey, type ScenarioResults } from './lib/results';
import type { ScenarioContext } from './lib/scenario';
import { evaluateTargets } from './lib/targets';
import { runCacheBench } from './scenarios/cache';
import { runFreshness } from './scenarios/freshness';
import { runFreshnessHeavy } from './scenarios/freshness-heavy';
import { runHitRate } from './scenarios/hit-rate';
import { runIngest } from './scenarios/ingest';
import { runInvalidation } from './scenarios/invalidation';
import { runMemory } from './scenarios/memory';
import { runReads } from './scenarios/reads';
import { runRecompute } from './scenarios/recompute';

const SCENARIOS: { [K in ScenarioKey]: (context: ScenarioContext) => Promise<NonNullable<ScenarioResults[K]>> } = {
  cache: runCacheBench,
  invalidation: runInvalidation,
  recompute: runRecompute,
  reads: runReads,
  hitRate: runHitRate,
  freshness: runFreshness,
  freshnessHeavy: runFreshnessHeavy,
  ingest: runIngest,
  memory: runMemory,
};

function parseArgs(argv: string[]): { quick: boolean; only: ScenarioKey[] } {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as ScenarioKey[]) : SCENARIO_KEYS;
  const unknown = only.filter((k) => !SCENARIO_KEYS.includes(k));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIO_KEYS.join(', ')}`);
  return { quick, only };
}

/** Writes bench/results/charts/*.svg from a report; a chart that fails never costs the run its JSON. */
async function drawCharts(report: BenchReport, log: (line: string) => void): Promise<void> {
  try {
    const written = await writeCharts(report, resolve(__dirname, 'results', 'charts'));
    log(`wrote ${written.map((p) => p.slice(resolve(__dirname, '..').length + 1)).join(', ')}`);
  } catch (error) {
    log(`charts FAILED: ${(error as Error).stack ?? (error as Error).message}`);
  }
}

async function main(): Promise<number> {
  const log = progressFor('bench');
  if (process.argv.includes('--charts-only')) {
    await drawCharts(JSON.parse(readFileSync(resolve(__dirname, 'results', 'latest.json'), 'utf8')) as BenchReport, log);
    return 0;
  }
  const { quick, only } = parseArgs(process.argv.slice(2));
  // The embedded mode of pnpm start (no Redis): its own quick measurement (bench/embedded.ts).
  if (process.argv.includes('--embedded')) return runEmbeddedBench({ quick, log });
  const machine = describeMachine();
  const started = performance.now();
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers(log);
  const results: ScenarioResults = {};
  const errors: BenchReport['errors'] = {};
  try {
    log(`${quick ? 'quick' : 'full'} run: ${only.join(', ')}`);
    const system = await startBenchSystem(cleanup, log);
    for (const key of only) {
      const progress = progressFor(key);
      progress('starting');
      try {
        const result = await SCENARIOS[key]({ system, quick, progress, cleanup });
        (results as Record<string, unknown>)[key] = result;
        progress(`done: ${JSON.stringify(result).slice(0, 400)}`);
      } catch (error) {
        errors[key] = (error as Error).message;
        progress(`FAILED: ${(error as Error).stack ?? (error as Error).message}`);
      }
    }
  } finally {
    log('cleaning up (servers, workers, bench database, private Redis)…');
    await cleanup.run(log);
  }

  machine.loadAverageEnd = loadAverageNow();
  const report: BenchReport = {
    mode: quick ? 'quick' : 'full',
    machine,
    durationSec: Math.round((performance.now() - started) / 1_000),
    ...results,
    errors,
    targets: evaluateTargets(results),
  };
  const dir = resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(resolve(dir, 'latest.json'), json);
  writeFileSync(resolve(dir, `${machine.date.replace(/:/g, '-')}.json`), json);
  process.stdout.write(formatReport(report));
  log(`wrote bench/results/latest.json and bench/results/${machine.date.replace(/:/g, '-')}.json`);
  await drawCharts(report, log);
  return Object.keys(errors).length > 0 ? 1 : 0;
}

main()
  .then((code) => {
    process.exitCode = code;
    // Everything is closed by now; if some handle still holds the loop, say so and leave.
    setTimeout(() => {
      process.stderr.write('bench: a handle was still open 5 s after cleanup; exiting anyway\n');
      process.exit(code);
    }, 5_000).unref();
  })
  .catch((error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
