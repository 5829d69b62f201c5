import type pg from 'pg';
import type { RedisClient } from '@shared/redis/redis-connection';
import { CpuLedger, readProcessCpu } from './process-cpu';

/**
 * CPU time spent by the system over a window, split by process: this Node process
 * (process.cpuUsage: every thread, GC included), the PostgreSQL backends serving the bench
 * database (their utime + stime from /proc, sampled every 500 ms so that a backend that
 * ends in between counts up to its last sample), and the redis-server. A part is null when
 * its server is not on this machine. PostgreSQL's background processes (WAL writer,
 * checkpointer, autovacuum) serve every database on the shared server and are left out.
 */
export interface CpuSplit {
  node: number;
  postgres: number | null;
  redis: number | null;
}

export interface CpuMeter {
  stop(): Promise<CpuSplit>;
}

const SAMPLE_EVERY_MS = 500;

/** The pid of the server behind `redis` (INFO server), if it runs here. */
export async function redisServerPid(redis: RedisClient): Promise<number | null> {
  const info = await redis.info('server');
  const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
  return Number.isInteger(pid) && readProcessCpu(pid, 'redis-server') ? pid : null;
}

/** The backends of the pool's database, sampled from now until stopped. */
async function meterPostgresBackends(pool: pg.Pool): Promise<{ stop(): Promise<number | null> }> {
  const ledger = new CpuLedger();
  let unreadable = false;
  const sample = async () => {
    const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
    const readings = rows.flatMap(({ pid }) => readProcessCpu(pid, 'postgres') ?? []);
    // Our own sampling query's backend is always there: none readable means a server on another host.
    if (readings.length === 0) unreadable = true;
    ledger.record(readings);
  };
  await sample();
  // Samples run one after the other; a failure is kept for stop() rather than left unhandled.
  let failure: Error | undefined;
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(sample).catch((error: Error) => void (failure ??= error));
  }, SAMPLE_EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      if (failure) throw failure;
      await sample();
      return unreadable ? null : ledger.totalMs;
    },
  };
}

export async function startCpuMeter(deps: { pool: pg.Pool; redisPid: number | null }): Promise<CpuMeter> {
  const redisAt = () => (deps.redisPid === null ? null : readProcessCpu(deps.redisPid, 'redis-server'));
  const postgres = await meterPostgresBackends(deps.pool);
  const redisStart = redisAt();
  const nodeStart = process.cpuUsage();
  return {
    async stop() {
      const node = process.cpuUsage(nodeStart);
      const redisEnd = redisAt();
      const postgresMs = await postgres.stop();
      return {
        node: (node.user + node.system) / 1_000,
        postgres: postgresMs,
        redis: redisStart && redisEnd ? redisEnd.cpuMs - redisStart.cpuMs : null,
      };
    },
  };
}
