/**
 * The reads' outside check: autocannon against an API started the way a user starts it
 * (`pnpm start`, a process of its own) and against a bare Express route returning the same
 * body (a process of its own too), alternating, each round a fresh autocannon child process.
 *
 *   pnpm start                                  # in one terminal, with API_KEYS set
 *   pnpm exec tsx bench/outside-check.ts --key <read key> --user <a user with data>
 *
 * Options: --url (http://127.0.0.1:3000), --aggregate (the dashboard's), --connections (50),
 * --seconds (10 per round), --rounds (3). Prints each round and the median ratio, and one
 * JSON line. The key may also come from READ_KEY.
 */
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DASHBOARD_AGGREGATE } from '@shared/aggregates/registry';
import { requestJson, runLoad } from './lib/http-load';
import type { LoadResult } from './lib/load-generator';
import { median, round } from './lib/stats';

async function startBareProcess(body: unknown): Promise<{ port: number; stop(): void }> {
  const child = fork(resolve(__dirname, 'lib/bare-express-main.ts'), [JSON.stringify(body)], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((done, fail) => {
    child.once('message', (message) => done((message as { port: number }).port));
    child.once('exit', (code) => fail(new Error(`the bare Express process exited (${code})`)));
  });
  return { port, stop: () => void child.kill() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      key: { type: 'string', default: process.env.READ_KEY ?? '' },
      user: { type: 'string' },
      aggregate: { type: 'string', default: DASHBOARD_AGGREGATE },
      connections: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
    },
  });
  if (!values.user) throw new Error('--user <a user with data> is required');
  const path = `/api/analytics/${values.aggregate}?userId=${encodeURIComponent(values.user)}`;
  const headers = values.key ? { Authorization: `Bearer ${values.key}` } : undefined;
  const [connections, durationSec, rounds] = [Number(values.connections), Number(values.seconds), Number(values.rounds)];

  const body = await requestJson<unknown>(`${values.url}${path}`, { key: values.key });
  const bare = await startBareProcess(body);
  try {
    // Warm-up (JIT, L1 filled), then the rounds.
    await runLoad({ url: `http://127.0.0.1:${bare.port}`, path: '/bare', connections, durationSec: 2 });
    await runLoad({ url: values.url, path, connections, durationSec: 2, headers });
    const rows: { bare: LoadResult; api: LoadResult }[] = [];
    for (let r = 1; r <= rounds; r += 1) {
      const bareRun = await runLoad({ url: `http://127.0.0.1:${bare.port}`, path: '/bare', connections, durationSec });
      const apiRun = await runLoad({ url: values.url, path, connections, durationSec, headers });
      if (apiRun.errors + apiRun.non2xx > 0) throw new Error(`the API answered ${apiRun.non2xx} non-2xx and ${apiRun.errors} errors: check --key and --user`);
      rows.push({ bare: bareRun, api: apiRun });
      console.log(`round ${r}: bare ${Math.round(bareRun.rps)} req/s p99 ${bareRun.p99Ms} ms | API ${Math.round(apiRun.rps)} req/s p99 ${apiRun.p99Ms} ms | ratio ${(apiRun.rps / bareRun.rps).toFixed(3)}`);
    }
    const result = {
      connections,
      durationSec,
      rounds,
      bare: { rps: round(median(rows.map((r) => r.bare.rps)), 0), p99Ms: median(rows.map((r) => r.bare.p99Ms)) },
      api: { rps: round(median(rows.map((r) => r.api.rps)), 0), p99Ms: median(rows.map((r) => r.api.p99Ms)) },
      ratio: round(median(rows.map((r) => r.api.rps / r.bare.rps)), 3),
    };
    console.log(`median ratio ${result.ratio} (API ${result.api.rps} req/s, bare ${result.bare.rps} req/s)`);
    console.log(JSON.stringify(result));
  } finally {
    bare.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
