import type { BenchReport, FreshnessHeavyResult, FreshnessResult, IngestResult, RecomputeResult } from './results';

/** The printed summary: machine, each target with its figure and met / missed, then the figures that are more than one number. */
export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    '',
    `pnpm bench (${report.mode}) — ${m.date}, ${m.cpus.count} × ${m.cpus.model}, ${(m.memoryMb / 1024).toFixed(1)} GB, node ${m.node}`,
    `load average at start ${m.loadAverageStart.join(' / ')}, at end ${m.loadAverageEnd.join(' / ')}; ${report.durationSec.toFixed(0)} s`,
    '',
    ...table(
      ['scenario', 'target', 'measured', 'result'],
      report.targets.map((t) => [t.scenario, t.target, t.actual, t.met === null ? '—' : t.met ? 'met' : 'MISSED']),
    ),
  ];
  for (const [scenario, error] of Object.entries(report.errors)) lines.push(`!! ${scenario} failed: ${error}`);
  if (report.ingest) lines.push('', ...ingestLines(report.ingest));
  if (report.freshness) lines.push('', ...freshnessLines(report.freshness));
  if (report.freshnessHeavy) lines.push('', ...freshnessHeavyLines(report.freshnessHeavy));
  if (report.recompute) lines.push('', ...recomputeBatchLines(report.recompute));
  return `${lines.join('\n')}\n`;
}

/** Columns padded to their widest cell, a rule under the header. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

const num = (value: number | null | undefined, digits = 0) => (typeof value === 'number' && Number.isFinite(value) ? value.toLocaleString('en', { maximumFractionDigits: digits }) : '—');

function ingestLines(ingest: IngestResult): string[] {
  return [
    `ingest (${ingest.workerProcesses} worker processes × concurrency ${ingest.concurrency}, ${num(ingest.events)} events): bulk ${num(ingest.bulk.eventsPerSec)}/s, ` +
      `HTTP ${num(ingest.http.eventsPerSec)}/s, BullMQ no-op ${num(ingest.bullmqNoopPerSec)}/s (runs ${ingest.bullmqNoopRuns.map((r) => num(r)).join(', ')}), ${num(ingest.recomputes)} recomputes`,
  ];
}

/** A row of a freshness table: a window's rate asked, achieved, latency percentiles, probes left and backlog. */
function windowRow(name: string, asked: number, w: { achievedEventsPerSec?: number; p50Ms?: number; p95Ms?: number; p99Ms: number; notVisible: number; backlogAtEnd?: number }): string[] {
  return [name, num(asked), num(w.achievedEventsPerSec), num(w.p50Ms), num(w.p95Ms), num(w.p99Ms), String(w.notVisible), num(w.backlogAtEnd)];
}

function freshnessLines(f: FreshnessResult): string[] {
  return [
    `freshness (${num(f.users)} users; step windows ${f.stepSeconds} s; probe given up after ${num(f.giveUpMs)} ms):`,
    ...table(
      ['window', 'events/s', 'achieved/s', 'p50 ms', 'p95 ms', 'p99 ms', 'not visible', 'backlog at end'],
      [windowRow('quiet', f.quiet.eventsPerSec, f.quiet), windowRow('target', f.targetEventsPerSec, f), ...f.steps.map((s) => windowRow('step', s.eventsPerSec, s))],
    ),
    `highest rate sustained (p99 ≤ 1,000 ms, every probe visible): ${num(f.maxSustainedEventsPerSec)} events/s; stopped: ${f.maxSustainedStoppedBy}`,
  ];
}

function freshnessHeavyLines(h: FreshnessHeavyResult): string[] {
  const c = h.recomputeAll.cpuMsPerUser;
  const step = h.recomputeAll.stepMsPerUser;
  return [
    `freshnessHeavy (${h.students} students × ${num(h.reviewsPerStudent)} reviews + ${h.sessionsPerStudent} sessions; ${h.probeStudents} probed; BullMQ no-op ${num(h.bullmqNoopPerSec)}/s, target ${num(h.targetEventsPerSec)}/s = ${h.targetShareOfNoop} × no-op):`,
    `  stored in ${h.seedSeconds} s; rollups built in ${h.buildRollups.seconds} s (${h.buildRollups.studentsPerSec} students/s); every student recomputed at ${h.recomputeAll.studentsPerSec} students/s`,
    `  one student's recompute: CPU ms node ${num(c.node, 3)}, postgres ${num(c.postgres, 3)}, redis ${num(c.redis, 3)}, total ${num(c.total, 3)}; ms by step load ${num(step.load, 3)}, compute ${num(step.compute, 3)}, save ${num(step.save, 3)}, write-through ${num(step.write_through, 3)}`,
    `  machine CPU per event at the target: ${num(h.machineCpuMsPerEvent, 3)} ms; recomputes ${num(h.recomputesPerSec)}/s`,
    ...table(
      ['window', 'events/s', 'achieved/s', 'p50 ms', 'p95 ms', 'p99 ms', 'not visible', 'backlog at end'],
      [windowRow('target', h.targetEventsPerSec, h), ...h.steps.map((s) => windowRow('step', s.eventsPerSec, s))],
    ),
    `highest rate held (p99 ≤ 1,000 ms, every probe visible): ${num(h.maxSustainedEventsPerSec)} events/s; stopped: ${h.maxSustainedStoppedBy}`,
  ];
}

function recomputeBatchLines(r: RecomputeResult): string[] {
  return [
    `recompute in batches (users of ${r.batchEvents} events; CPU ms per user):`,
    ...table(
      ['batch', 'in flight', 'users/s', 'node', 'postgres', 'redis', 'total'],
      r.batch.map((b) => [String(b.batchSize), String(b.inFlight), num(b.usersPerSec), num(b.cpuMsPerUser.node, 3), num(b.cpuMsPerUser.postgres, 3), num(b.cpuMsPerUser.redis, 3), num(b.cpuMsPerUser.total, 3)]),
    ),
  ];
}
