import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of other processes on this machine (PostgreSQL backends, redis-server), from
 * /proc/<pid>/stat (proc(5)).
 */
export interface ProcStat {
  command: string;
  /** Field 14: user-mode time, in clock ticks. */
  utimeTicks: number;
  /** Field 15: kernel-mode time, in clock ticks. */
  stimeTicks: number;
  /** Field 22: start time after boot, in clock ticks (a pid reused by a new process gets a new one). */
  startTicks: number;
}

/** Parses /proc/<pid>/stat. The command (field 2) is in parentheses and may itself hold spaces and parentheses: fields are counted after the last `)`. */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (the state): field n is fields[n - 3].
  const field = (n: number) => Number(fields[n - 3]);
  return { command: text.slice(text.indexOf('(') + 1, close), utimeTicks: field(14), stimeTicks: field(15), startTicks: field(22) };
}

let ticksPerSecond: number | undefined;

/** sysconf(_SC_CLK_TCK), read once; 100 (Linux's value everywhere in practice) if getconf is missing. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface CpuReading {
  /** pid and start time: one process, even if its pid is reused later. */
  key: string;
  cpuMs: number;
}

/**
 * A process's CPU time so far (user + system), or null if it is not there (ended, or the
 * pid belongs to another machine) or is not running `command`: a pid reported by a server
 * on another host must not be read as some local process.
 */
export function readProcessCpu(pid: number, command: string): CpuReading | null {
  let stat: ProcStat;
  try {
    stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
  if (stat.command !== command) return null;
  return { key: `${pid}@${stat.startTicks}`, cpuMs: ((stat.utimeTicks + stat.stimeTicks) * 1_000) / clockTicksPerSecond() };
}

/**
 * CPU time of a changing set of processes over a window, from samples: each process counts
 * from its reading in the first sample — or from 0 if it appeared later (all its time is
 * then in the window) — to its last reading (a process that ended counts up to its last
 * sample, so samples should be frequent enough for what may end in between).
 */
export class CpuLedger {
  private readonly first = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private sampled = false;

  record(readings: readonly CpuReading[]): void {
    for (const { key, cpuMs } of readings) {
      if (!this.first.has(key)) this.first.set(key, this.sampled ? 0 : cpuMs);
      this.last.set(key, cpuMs);
    }
    this.sampled = true;
  }

  /** Processes seen in any sample. */
  get processes(): number {
    return this.last.size;
  }

  get totalMs(): number {
    let total = 0;
    for (const [key, cpuMs] of this.last) total += cpuMs - this.first.get(key)!;
    return total;
  }
}

/**
 * The busy time of the whole machine from the `cpu` line of /proc/stat (proc(5)): user,
 * nice, system, irq, softirq and steal ticks of every core, in ms. Every process counts —
 * the bench, its workers, PostgreSQL's backends and background processes, Redis, and
 * anything else running — so it is meaningful on a quiet machine only.
 */
export function parseMachineBusyMs(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1_000) / clockTicksPerSecond();
}

export function readMachineBusyMs(): number {
  return parseMachineBusyMs(readFileSync('/proc/stat', 'utf8'));
}
