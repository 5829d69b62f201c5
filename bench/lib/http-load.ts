import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { LoadOptions, LoadResult } from './load-generator';

/** Runs autocannon in a child process (see load-generator.ts) and returns its figures. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const script = resolve(__dirname, 'load-generator.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`load generator failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  return JSON.parse(line) as LoadResult;
}

/** A GET/POST with the bench's keep-alive fetch; throws on a non-2xx answer. */
export async function requestJson<T>(url: string, init: { method?: string; key: string; body?: unknown }): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${init.key}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
