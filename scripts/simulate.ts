/**
 * `pnpm simulate`: a simulated study app publishing at a chosen rate for a chosen time,
 * through the typed publisher or over HTTP. The parts are in scripts/simulation/; this
 * file wires them to the environment's configuration.
 */
import { loadConfig } from '@shared/config/config';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { closeRedis, createRedisConnection, waitForRedis } from '@shared/redis/redis-connection';
import { StartupError } from '@shared/runtime/infrastructure';
import { EXIT, runCli } from './cli/run-cli';
import { BatchSender } from './simulation/batch-sender';
import { httpDelivery, publisherDelivery, type Delivery } from './simulation/delivery';
import { QueueMonitor } from './simulation/queue-monitor';
import { formatSummary, parseSimulateFlags, SIMULATE_USAGE } from './simulation/simulate-command';
import { runSimulation } from './simulation/simulation';
import { StudyTraffic } from './simulation/study-traffic';

async function main(args: string[]): Promise<number> {
  const options = parseSimulateFlags(args);
  const config = loadConfig();
  const connection = createRedisConnection(config.redis, 'producer', 'study-analytics:simulate');
  connection.on('error', () => undefined);
  let publisher: EventPublisher | null = null;
  const monitor = new QueueMonitor({
    connection,
    prefix: config.queuePrefix,
    names: [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.sessionCompleted, QUEUE_NAMES.recompute],
  });
  try {
    let delivery: Delivery;
    let target: string;
    if (options.via === 'publisher') {
      await waitForRedis(connection, 5_000).catch((error: Error) => {
        throw new StartupError(`cannot reach Redis: ${error.message}`);
      });
      publisher = new EventPublisher({ connection, prefix: config.queuePrefix });
      delivery = publisherDelivery(publisher);
      target = `queue prefix ${config.queuePrefix}`;
    } else {
      // Over HTTP, Redis is only for the queue figures of the progress line; it may be out of reach.
      await waitForRedis(connection, 1_000).catch(() => undefined);
      const url = options.url ?? `http://127.0.0.1:${config.port}`;
      delivery = httpDelivery({ url, key: options.key ?? undefined });
      target = url;
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
    process.stdout.write(options.json ? `${JSON.stringify({ via: options.via, target, users: options.users, seed: options.seed, ...summary })}\n` : formatSummary(options, summary, target));
    return summary.notSent.events + summary.notSent.sessions > 0 ? EXIT.problem : EXIT.ok;
  } finally {
    await monitor.close();
    await publisher?.close();
    await closeRedis(connection);
  }
}

void runCli({ name: 'simulate', usage: SIMULATE_USAGE, main });
