import { parseArgs } from 'node:util';
import { NamedError } from '@shared/errors/errors';

/**
 * Flag parsing for the command-line tools: node:util parseArgs (strict, no positionals)
 * plus typed checks that turn every mistake into a UsageError with one clear sentence.
 */
export class UsageError extends NamedError {
  constructor(message: string) {
    super(message);
  }
}

/** Thrown for `--help`: the caller prints the usage and exits 0. */
export class HelpRequested extends NamedError {
  constructor() {
    super('help requested');
  }
}

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };
type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? (T[K]['multiple'] extends true ? boolean[] : boolean) : T[K]['multiple'] extends true ? string[] : string;
};

/** pnpm passes a lone `--` through (`pnpm recompute -- --all`); it separates nothing here. */
function withoutSeparator(args: string[]): string[] {
  return args[0] === '--' ? args.slice(1) : args;
}

export function parseFlags<T extends Record<string, OptionSpec>>(args: string[], options: T): Values<T> {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested();
  try {
    const { values } = parseArgs({ args: withoutSeparator(args), options, strict: true, allowPositionals: false });
    return values as Values<T>;
  } catch (error) {
    // parseArgs' messages are clear but go on about `--` and positionals; keep the first sentence.
    const message = (error as Error).message.split('\n')[0]!.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(message);
  }
}

/** A whole number in [min, max], or the default when the flag is absent. */
export function intFlag(name: string, raw: string | undefined, fallback: number, range: { min: number; max: number }): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (value < range.min || value > range.max) throw new UsageError(`--${name} must be between ${range.min} and ${range.max} (got ${value})`);
  return value;
}

/** A positive number (decimals allowed), e.g. a duration in seconds. */
export function numberFlag(name: string, raw: string | undefined, fallback: number, range: { min: number; max: number }): number {
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw.trim())) throw new UsageError(`--${name} must be a number (got "${raw}")`);
  const value = Number(raw);
  if (value < range.min || value > range.max) throw new UsageError(`--${name} must be between ${range.min} and ${range.max} (got ${value})`);
  return value;
}

export function choiceFlag<C extends string>(name: string, raw: string | undefined, choices: readonly C[], fallback: C): C {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got "${raw}")`);
  return raw as C;
}

export function urlFlag(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${name} must be an http:// or https:// URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${name} must be an http:// or https:// URL (got "${raw}")`);
  return url.toString().replace(/\/$/, '');
}
