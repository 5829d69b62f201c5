/**
 * `pnpm simulate`: a simulated study app publishing at a chosen rate for a chosen time,
 * through the typed publisher or over HTTP — by default to what `pnpm start` runs here
 * (simulation/target.ts). The parts are in scripts/simulation/; this file wires them to the
 * environment's configuration.
 */
import { loadConfig, type Config } from '@shared/config/config';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { closeRedis, createRedisConnection, waitForRedis, type RedisClient } from '@shared/redis/redis-connection';
import { StartupError } from '@shared/runtime/infrastructure';
import { EXIT, runCli } from './cli/run-cli';
import { BatchSender } from './simulation/batch-sender';
import { httpDelivery, publisherDelivery, type Delivery } from './simulation/delivery';
import { ApiMetricsQueueMonitor, QueueMonitor, type QueueDepthSource } from './simulation/queue-monitor';
import { formatSummary, parseSimulateFlags, SIMULATE_USAGE } from './simulation/simulate-command';
import { runSimulation } from './simulation/simulation';
import { StudyTraffic } from './simulation/study-traffic';
import { chooseTarget, describeTarget, readinessModeProbe, serversConfiguredBy } from './simulation/target';

const MONITORED_QUEUES = [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.sessionCompleted, QUEUE_NAMES.recompute];

/** Where Redis is, for a person: host and port only (a URL may carry a password). */
function redisAddress(redis: Config['redis']): string {
  if (redis.mode === 'cluster') return `cluster ${redis.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  const url = new URL(redis.url);
  return `${url.hostname}:${url.port || 6379}`;
}

/** An ingest key from API_KEYS (an admin key may ingest too), for HTTP when --key is not given: never printed. */
function keyFromConfig(config: Config): string | null {
  return (config.apiKeys.find((k) => k.role === 'ingest') ?? config.apiKeys.find((k) => k.role === 'admin'))?.key ?? null;
}

async function main(args: string[]): Promise<number> {
  const options = parseSimulateFlags(args);
  const config = loadConfig();
  const defaultUrl = `http://127.0.0.1:${config.port}`;
  const target = await chooseTarget({ via: options.via, url: options.url, key: options.key, defaultUrl, serversConfigured: serversConfiguredBy(process.env) }, readinessModeProbe());
  const configKey = target.via === 'http' && options.key === null ? keyFromConfig(config) : null;
  const key = options.key ?? configKey;
  process.stderr.write(
    `${describeTarget(target, { queuePrefix: config.queuePrefix, redis: redisAddress(config.redis), keySource: options.key ? 'the key of --key' : configKey ? 'a key from API_KEYS' : null })}\n`,
  );

  let connection: RedisClient | null = null;
  let publisher: EventPublisher | null = null;
  let monitor: QueueDepthSource;
  let delivery: Delivery;
  let where: string;
  if (target.via === 'publisher') {
    connection = createRedisConnection(config.redis, 'producer', 'study-analytics:simulate');
    connection.on('error', () => undefined);
    monitor = new QueueMonitor({ connection, prefix: config.queuePrefix, names: MONITORED_QUEUES });
  } else {
    // The queues of the API the messages go to, whatever they live on: its /metrics.
    monitor = new ApiMetricsQueueMonitor({ url: target.url, key: key ?? undefined, names: MONITORED_QUEUES });
  }
  try {
    if (target.via === 'publisher') {
      await waitForRedis(connection!, 5_000).catch((error: Error) => {
        const hint = target.why.startsWith('no API answers') ? ` (and no API answers at ${defaultUrl}: start the system with \`pnpm start\`)` : '';
        throw new StartupError(`cannot reach Redis at ${redisAddress(config.redis)}: ${error.message}${hint}`);
      });
      publisher = new EventPublisher({ connection: connection!, prefix: config.queuePrefix });
      delivery = publisherDelivery(publisher);
      where = `queue prefix ${config.queuePrefix}`;
    } else {
      delivery = httpDelivery({ url: target.url, key: key ?? undefined });
      where = target.url;
    }

    const stop = new AbortController();
    let interrupts = 0;
    const onInterrupt = () => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('stopping: sending what was generated (Ctrl-C again to quit at once)\n');
      stop.abort();
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);

    const summary = await runSimulation(
      { rate: options.rate, durationMs: options.durationMs, batchSize: options.batchSize, drainTimeoutMs: options.drainTimeoutMs, maxBacklog: Math.max(10_000, options.rate * 30) },
      {
        traffic: new StudyTraffic({ seed: options.seed, users: options.users }),
        sender: new BatchSender(delivery, { maxInFlight: 4 }),
        monitor,
        progress: (line) => process.stderr.write(`${line}\n`),
        stop: stop.signal,
      },
    );
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ via: target.via, mode: target.mode, target: where, users: options.users, seed: options.seed, ...summary })}\n`
        : formatSummary(options, summary, target.via, where),
    );
    return summary.notSent.events + summary.notSent.sessions > 0 ? EXIT.problem : EXIT.ok;
  } finally {
    await monitor.close();
    await publisher?.close();
    if (connection) await closeRedis(connection);
  }
}

void runCli({ name: 'simulate', usage: SIMULATE_USAGE, main });
