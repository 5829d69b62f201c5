import { count, decimal, perSecond } from '../cli/format';
import type { BatchSender, SenderStats } from './batch-sender';
import type { QueueDepth, QueueDepthSource } from './queue-monitor';
import type { StudyTraffic } from './study-traffic';

/**
 * The simulator's main loop: generates finished study sessions at the target rate
 * (events and session records both count as messages), hands them to the sender in
 * batches, prints a progress line every second, then waits for retries to settle.
 *
 * Pacing is a token bucket refilled at `rate` per second, holding at most one second of
 * messages: after a stall (Redis away, a slow server) the simulator resumes at the rate
 * instead of firing the whole missed backlog at once. Generation also pauses while
 * `maxBacklog` messages are unsettled, so an outage cannot grow memory without bound.
 */
export interface SimulationOptions {
  rate: number;
  durationMs: number;
  batchSize: number;
  drainTimeoutMs: number;
  maxBacklog: number;
}

export interface SimulationDeps {
  traffic: StudyTraffic;
  sender: BatchSender;
  monitor: QueueDepthSource | null;
  progress: (line: string) => void;
  /** Aborting stops generating; what was generated is still sent (within the drain timeout). */
  stop?: AbortSignal;
  now?: () => number;
}

type PerKind = { events: number; sessions: number };

export interface SimulationSummary {
  targetRate: number;
  /** How long messages were generated. */
  sendingSeconds: number;
  /** Until the last send settled. */
  elapsedSeconds: number;
  generated: PerKind;
  sent: PerKind;
  notSent: PerKind;
  notSentReasons: Record<string, number>;
  retries: number;
  failures: Record<string, number>;
  /** Messages sent per second of elapsed time. */
  achievedRate: number;
  stoppedEarly: boolean;
}

export interface ProgressState {
  elapsedMs: number;
  phase: 'sending' | 'draining';
  stats: SenderStats;
  /** Messages sent per second over the last interval. */
  rate: number;
  targetRate: number;
  queues: QueueDepth[] | null;
}

function lag(ms: number): string {
  return ms < 60_000 ? `${decimal(ms / 1000)}s` : `${decimal(ms / 60_000)}min`;
}

/**
 * e.g. `[12s] sent 5,988 events + 203 sessions, 500.1/s (target 500/s), backlog 0 | behavioral-event 35 lag 0.1s, ...`;
 * while the queues' figures cannot be known (none yet, or their source away) the part after `|` is left out.
 */
export function progressLine(state: ProgressState): string {
  const { stats } = state;
  const backlog = stats.pending.events + stats.pending.sessions;
  const notSent = stats.notSent.events + stats.notSent.sessions;
  const figures = [
    `sent ${count(stats.sent.events)} events + ${count(stats.sent.sessions)} sessions`,
    `${decimal(state.rate)}/s (target ${count(state.targetRate)}/s)`,
    `backlog ${count(backlog)}${stats.retries > 0 ? ` (${count(stats.retries)} retries)` : ''}`,
    ...(notSent > 0 ? [`not sent ${count(notSent)}`] : []),
  ];
  const queues = state.queues ? ` | ${state.queues.map((q) => `${q.name} ${count(q.depth)} lag ${lag(q.lagMs)}`).join(', ')}` : '';
  return `[${Math.round(state.elapsedMs / 1000)}s${state.phase === 'draining' ? ' draining' : ''}] ${figures.join(', ')}${queues}`;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSimulation(options: SimulationOptions, deps: SimulationDeps): Promise<SimulationSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  const generated: PerKind = { events: 0, sessions: 0 };
  let phase: ProgressState['phase'] = 'sending';
  let lastSent = { at: started, messages: 0 };
  let reporting = false;

  const report = async () => {
    if (reporting) return;
    reporting = true;
    try {
      const queues = deps.monitor ? await deps.monitor.snapshot() : null;
      const stats = deps.sender.stats();
      const at = now();
      const messages = stats.sent.events + stats.sent.sessions;
      const rate = perSecond(messages - lastSent.messages, at - lastSent.at);
      lastSent = { at, messages };
      deps.progress(progressLine({ elapsedMs: at - started, phase, stats, rate, targetRate: options.rate, queues }));
    } finally {
      reporting = false;
    }
  };
  const progressTimer = setInterval(() => void report(), 1_000);
  progressTimer.unref();

  let tokens = 0;
  let refilledAt = started;
  const endsAt = started + options.durationMs;
  while (now() < endsAt && !deps.stop?.aborted) {
    const at = now();
    tokens = Math.min(options.rate, tokens + (options.rate * (at - refilledAt)) / 1000);
    refilledAt = at;
    const events: object[] = [];
    const sessions: object[] = [];
    while (tokens > 0 && deps.sender.backlog + events.length + sessions.length < options.maxBacklog) {
      const activity = deps.traffic.next(new Date(at));
      events.push(...activity.events);
      sessions.push(...activity.sessions);
      tokens -= activity.events.length + activity.sessions.length;
    }
    generated.events += events.length;
    generated.sessions += sessions.length;
    for (const batch of chunks(events, options.batchSize)) deps.sender.submit('events', batch);
    for (const batch of chunks(sessions, options.batchSize)) deps.sender.submit('sessions', batch);
    await sleep(Math.max(1, Math.min(50, endsAt - now())));
  }
  const sendingEnded = now();
  phase = 'draining';
  await deps.sender.drain(options.drainTimeoutMs);
  clearInterval(progressTimer);
  while (reporting) await sleep(10);
  // A last line with the final figures, unless one was printed a moment ago.
  if (now() - lastSent.at > 500) await report();

  const stats = deps.sender.stats();
  const elapsedMs = now() - started;
  return {
    targetRate: options.rate,
    sendingSeconds: (sendingEnded - started) / 1000,
    elapsedSeconds: elapsedMs / 1000,
    generated,
    sent: stats.sent,
    notSent: stats.notSent,
    notSentReasons: stats.notSentReasons,
    retries: stats.retries,
    failures: stats.failures,
    achievedRate: perSecond(stats.sent.events + stats.sent.sessions, elapsedMs),
    stoppedEarly: Boolean(deps.stop?.aborted),
  };
}
