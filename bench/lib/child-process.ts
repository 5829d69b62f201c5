import { fork, type ChildProcess } from 'node:child_process';

/** A TypeScript entry of the bench as a child process (`node --import tsx`), with an IPC channel. */
export function forkTsx(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return fork(entry, [], { env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** SIGTERM (a graceful shutdown), SIGKILL if it has not exited after `timeoutMs`; resolves once it exited. */
export async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
