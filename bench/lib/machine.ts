import { cpus, loadavg, totalmem, freemem, platform, release } from 'node:os';

/** What the figures were measured on: they mean little without it (and without the load). */
export interface Machine {
  cpus: { model: string; count: number };
  memoryMb: number;
  freeMemoryMbAtStart: number;
  node: string;
  os: string;
  date: string;
  /** 1/5/15-minute load averages at the start and at the end of the run (other work on the machine). */
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

export function describeMachine(now = new Date()): Machine {
  const list = cpus();
  return {
    cpus: { model: list[0]?.model.trim() ?? 'unknown', count: list.length },
    memoryMb: Math.round(totalmem() / 1024 ** 2),
    freeMemoryMbAtStart: Math.round(freemem() / 1024 ** 2),
    node: process.version,
    os: `${platform()} ${release()}`,
    date: now.toISOString(),
    loadAverageStart: loadavg().map((v) => Math.round(v * 100) / 100),
    loadAverageEnd: [],
  };
}

export function loadAverageNow(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}
