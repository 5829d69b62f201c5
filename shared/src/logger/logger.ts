import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The process logger. JSON lines on stdout (stderr for command-line tools, whose stdout
 * carries their results); components take a child with their name.
 */
export function createLogger(options: { level: string; name?: string; stream?: 'stdout' | 'stderr' }): Logger {
  const settings = {
    level: options.level,
    name: options.name ?? 'study-analytics',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
  return options.stream === 'stderr' ? pino(settings, pino.destination(2)) : pino(settings);
}
