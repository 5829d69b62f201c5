import { createLogger, type Logger } from '@shared/logger/logger';

/**
 * The tools' logger: JSON lines on stderr (stdout carries the command's results), readable
 * lines when stderr is a terminal in development; quiet (warnings only) unless LOG_LEVEL is
 * set explicitly.
 */
export function createCliLogger(name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : 'warn';
  return createLogger({ level, name, stream: 'stderr', env: env.NODE_ENV || 'development' });
}
