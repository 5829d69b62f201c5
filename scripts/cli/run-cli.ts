import { ConfigError } from '@shared/config/config';
import { StartupError } from '@shared/runtime/infrastructure';
import { HelpRequested, UsageError } from './cli-flags';

/**
 * Exit codes shared by the tools: 0 all well; 1 the command ran and found a problem
 * (drift, users that failed, events it could not send); 2 bad flags or configuration;
 * 3 it could not reach Redis or PostgreSQL.
 */
export const EXIT = { ok: 0, problem: 1, usage: 2, unavailable: 3 } as const;

/**
 * Runs a command's main function and turns its outcome into an exit code and messages
 * a person can act on: usage mistakes print the reason and the usage, configuration and
 * connection problems print their one-line reason, anything else its stack.
 */
export async function runCli(options: { name: string; usage: string; main: (args: string[]) => Promise<number> }): Promise<never> {
  let code: number;
  try {
    code = await options.main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${options.usage}\n`);
      code = EXIT.ok;
    } else if (error instanceof UsageError) {
      process.stderr.write(`${options.name}: ${error.message}\n\n${options.usage}\n`);
      code = EXIT.usage;
    } else if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      code = EXIT.usage;
    } else if (error instanceof StartupError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      code = EXIT.unavailable;
    } else {
      const err = error as Error;
      process.stderr.write(`${options.name} failed: ${err.stack ?? err.message}\n`);
      code = EXIT.problem;
    }
  }
  // Let stdout/stderr flush before leaving (they are asynchronous when piped).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
