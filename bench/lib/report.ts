import type { BenchReport } from './results';

/** The printed summary: machine, then each target with its figure and met / missed. */
export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    '',
    `pnpm bench (${report.mode}) — ${m.date}, ${m.cpus.count} × ${m.cpus.model}, ${(m.memoryMb / 1024).toFixed(1)} GB, node ${m.node}`,
    `load average at start ${m.loadAverageStart.join(' / ')}, at end ${m.loadAverageEnd.join(' / ')}; ${report.durationSec.toFixed(0)} s`,
    '',
  ];
  const rows = report.targets.map((t) => [t.scenario, t.target, t.actual, t.met === null ? '—' : t.met ? 'met' : 'MISSED']);
  const header = ['scenario', 'target', 'measured', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  for (const [scenario, error] of Object.entries(report.errors)) lines.push(`!! ${scenario} failed: ${error}`);
  return `${lines.join('\n')}\n`;
}
