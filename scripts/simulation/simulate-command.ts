import { choiceFlag, intFlag, numberFlag, parseFlags, urlFlag, UsageError } from '../cli/cli-flags';
import { count, decimal } from '../cli/format';
import type { SimulationSummary } from './simulation';

export const SIMULATE_USAGE = `Usage: pnpm simulate -- [--users N] [--rate N] [--duration SECONDS] [--via publisher|http]
                      [--url URL] [--key KEY] [--seed N] [--batch N] [--drain-timeout SECONDS] [--json]

A simulated study app: a cohort of students finishing study sessions (card reviews,
missions, self-reports, interventions, content views, searches, and the session record),
published at a chosen rate for a chosen time.

  --users N              students in the cohort (default 200)
  --rate N               messages per second, events and sessions together (default 500)
  --duration SECONDS     how long to publish (default 60)
  --via publisher|http   the typed publisher straight into BullMQ, or POST /api/events
                         and /api/sessions. Default: what \`pnpm start\` runs here — with
                         servers configured (REDIS_URL, DATABASE_URL, ...) the queues on
                         Redis; otherwise the API at --url is asked its mode: embedded
                         (no Redis) over HTTP, server mode (or no answer) the queues
  --url URL              the API over HTTP (default http://127.0.0.1:$PORT); implies http
  --key KEY              an ingest API key over HTTP (Authorization: Bearer); default:
                         the ingest (else admin) key of API_KEYS, if set
  --seed N               the cohort and its choices (default 1); ids are always new
  --batch N              messages per publish call / request (default 200, at most 1000)
  --drain-timeout SECONDS  after the duration, how long to keep retrying what failed (default 30)
  --json                 print the summary as JSON
  -h, --help             this text

The first line (stderr) says where the messages go and why. Every second a progress line
(stderr): messages sent, the rate achieved, the backlog the simulator still has to send,
and each queue's depth and lag (age of its oldest waiting job): from Redis when publishing,
from the API's /metrics over HTTP (left out while neither can tell).
What fails for a passing reason (Redis away, HTTP 503 or 429, network) is retried with
backoff; at the end the summary (stdout) says what could finally not be sent, and why.
Configuration comes from the environment (REDIS_URL, QUEUE_PREFIX, PORT, ...).
Exit codes: 0 everything sent, 1 some messages not sent, 2 bad flags or configuration,
3 Redis unreachable (publishing into the queues).`;

export interface SimulateOptions {
  users: number;
  rate: number;
  durationMs: number;
  /** null: chosen at start from what `pnpm start` runs (simulation/target.ts). */
  via: 'publisher' | 'http' | null;
  url: string | null;
  key: string | null;
  seed: number;
  batchSize: number;
  drainTimeoutMs: number;
  json: boolean;
}

export function parseSimulateFlags(args: string[]): SimulateOptions {
  const flags = parseFlags(args, {
    users: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    via: { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    'drain-timeout': { type: 'string' },
    json: { type: 'boolean' },
  });
  const via = flags.via === undefined ? null : choiceFlag('via', flags.via, ['publisher', 'http'] as const, 'publisher');
  if (via === 'publisher' && (flags.url !== undefined || flags.key !== undefined)) {
    throw new UsageError('--url and --key go with --via http');
  }
  if (flags.key !== undefined && flags.key.trim() === '') throw new UsageError('--key must not be empty');
  return {
    users: intFlag('users', flags.users, 200, { min: 1, max: 1_000_000 }),
    rate: intFlag('rate', flags.rate, 500, { min: 1, max: 1_000_000 }),
    durationMs: numberFlag('duration', flags.duration, 60, { min: 0.1, max: 7 * 86_400 }) * 1000,
    via,
    url: flags.url !== undefined ? urlFlag('url', flags.url) : null,
    key: flags.key ?? null,
    seed: intFlag('seed', flags.seed, 1, { min: 0, max: 2 ** 32 - 1 }),
    batchSize: intFlag('batch', flags.batch, 200, { min: 1, max: 1_000 }),
    drainTimeoutMs: numberFlag('drain-timeout', flags['drain-timeout'], 30, { min: 0, max: 86_400 }) * 1000,
    json: flags.json ?? false,
  };
}

function reasons(map: Record<string, number>): string[] {
  return Object.entries(map)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `    ${count(n)} × ${reason}`);
}

export function formatSummary(options: SimulateOptions, summary: SimulationSummary, via: 'publisher' | 'http', target: string): string {
  const notSent = summary.notSent.events + summary.notSent.sessions;
  const lines = [
    `simulate: ${decimal(summary.sendingSeconds)} s via ${via} (${target}), ${count(options.users)} users, seed ${options.seed}${summary.stoppedEarly ? ', stopped early' : ''}`,
    `  sent      ${count(summary.sent.events)} events, ${count(summary.sent.sessions)} sessions (${decimal(summary.achievedRate)} messages/s achieved, target ${count(summary.targetRate)}/s)`,
    `  retried   ${count(summary.retries)} failed attempts`,
    ...reasons(summary.failures),
    `  not sent  ${count(summary.notSent.events)} events, ${count(summary.notSent.sessions)} sessions`,
    ...(notSent > 0 ? reasons(summary.notSentReasons) : []),
  ];
  return `${lines.join('\n')}\n`;
}
