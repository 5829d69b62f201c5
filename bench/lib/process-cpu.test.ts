import { clockTicksPerSecond, CpuLedger, parseMachineBusyMs, parseProcStat } from './process-cpu';

// A real line's shape (proc(5)): pid (comm) state ppid … utime(14) stime(15) … starttime(22) …
const statLine = (comm: string, utime: number, stime: number, start: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 1200 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 ${start} 224 1 18446744073709551615 0 0 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n`;

describe('parseProcStat', () => {
  it('reads utime, stime and the start time after the command', () => {
    expect(parseProcStat(statLine('postgres', 150, 25, 98_765))).toEqual({ command: 'postgres', utimeTicks: 150, stimeTicks: 25, startTicks: 98_765 });
  });

  it('counts fields after the last parenthesis, whatever the command holds', () => {
    expect(parseProcStat(statLine('odd (name) x', 7, 3, 11))).toMatchObject({ command: 'odd (name) x', utimeTicks: 7, stimeTicks: 3, startTicks: 11 });
  });
});

describe('CpuLedger', () => {
  it('sums each process from its first to its last reading', () => {
    const ledger = new CpuLedger();
    ledger.record([{ key: 'a', cpuMs: 100 }, { key: 'b', cpuMs: 50 }]);
    ledger.record([{ key: 'a', cpuMs: 130 }, { key: 'b', cpuMs: 60 }]);
    expect(ledger.totalMs).toBe(40);
  });

  it('counts a process that appeared during the window from zero and one that ended up to its last sample', () => {
    const ledger = new CpuLedger();
    ledger.record([{ key: 'ends', cpuMs: 10 }]);
    ledger.record([{ key: 'ends', cpuMs: 25 }, { key: 'new', cpuMs: 5 }]);
    ledger.record([{ key: 'new', cpuMs: 12 }]);
    expect(ledger.totalMs).toBe(15 + 12);
    expect(ledger.processes).toBe(2);
  });
});

describe('parseMachineBusyMs', () => {
  it('sums user, nice, system, irq, softirq and steal of the cpu line (idle and iowait are not busy)', () => {
    const stat = 'cpu  100 5 40 9000 30 2 3 1 0 0\ncpu0 50 2 20 4500 15 1 1 0 0 0\nintr 1 2 3\n';
    expect(parseMachineBusyMs(stat)).toBe(((100 + 5 + 40 + 2 + 3 + 1) * 1_000) / clockTicksPerSecond());
  });
});
