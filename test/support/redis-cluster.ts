import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/dev/redis-server';

const run = promisify(execFile);

/**
 * A private three-master Redis Cluster for one test file: three `redis-server
 * --cluster-enabled yes` on free ports, joined with `redis-cli --cluster create`, all
 * state (nodes-<port>.conf) in a temp dir the test owns. stop() kills the servers and
 * removes the dir.
 */
export interface PrivateRedisCluster {
  ports: number[];
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, the value of REDIS_CLUSTER_NODES. */
  nodes: string;
  dir: string;
  /** `redis-cli -p <port> <args…>` against one node, trimmed stdout. */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(options: { masters?: number; timeoutMs?: number } = {}): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'sa-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout.trim();

  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < masters; i += 1) {
      const port = await freePort();
      ports.push(port);
      const args = [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '5000',
        '--dir', dir,
        '--save', '',
        '--appendonly', 'no',
        '--maxmemory-policy', 'noeviction',
      ];
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports) await until(`redis-server on ${port} did not answer`, async () => (await cli(port, 'PING')) === 'PONG', timeoutMs);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: timeoutMs });
    for (const port of ports) {
      await until(`node ${port} did not reach cluster_state:ok`, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), timeoutMs);
    }
    // Every node must know every slot's owner before a client asks it for the topology.
    for (const port of ports) {
      await until(`node ${port} does not see ${masters} masters`, async () => (await cli(port, 'CLUSTER', 'NODES')).split('\n').filter((l) => l.includes('master') && !l.includes('fail')).length === masters, timeoutMs);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), dir, cli, stop };
}
