import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty, { type MessageFormatFunc } from 'pino-pretty';

export type { Logger };

/**
 * JSON lines for machines (production, pipes, files, CI, log shippers); readable lines for
 * a person at a terminal. "A person at a terminal" is development with the stream a TTY: a
 * pipe (`pnpm start | jq`), a redirect, docker or CI keeps JSON whatever NODE_ENV says, and
 * production keeps JSON even at a terminal, where its lines are meant to be collected.
 */
export type LogFormat = 'json' | 'pretty';

export function logFormatFor(env: string | undefined, streamIsTty: boolean | undefined): LogFormat {
  return env === 'development' && streamIsTty === true ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level: string;
  name?: string;
  stream?: 'stdout' | 'stderr';
  /** NODE_ENV (Config.env): development at a TTY gives readable lines; anything else, or none given, JSON. */
  env?: string;
  /** Forces a format (tests); absent: logFormatFor(env, the stream is a TTY). */
  format?: LogFormat;
  /** Where the lines go instead of the stream (tests). */
  destination?: NodeJS.WritableStream;
}

/**
 * The process logger. JSON lines on stdout (stderr for command-line tools, whose stdout
 * carries their results); components take a child with their name.
 *
 * stdout is written asynchronously: logging a line costs its caller a buffer append, not a
 * write(2) (a request line at LOG_LEVEL=debug cost the request 37 µs with synchronous
 * writes, 26 µs with these); pino flushes the buffer synchronously when the process exits.
 * The tools' stderr stays synchronous, so their log lines and their output keep their order.
 *
 * At a terminal in development (logFormatFor) the same lines go through pino-pretty.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    name: options.name ?? 'study-analytics',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
  const fd = options.stream === 'stderr' ? 2 : 1;
  const format = options.format ?? logFormatFor(options.env, (fd === 2 ? process.stderr : process.stdout).isTTY);
  if (format === 'pretty') return pino(settings, prettyDestination(options.destination ?? fd));
  if (options.destination) return pino(settings, options.destination as DestinationStream);
  return pino(settings, fd === 2 ? pino.destination(2) : pino.destination({ dest: 1, sync: false }));
}

/**
 * A request line (request-log.ts: `req`, `res`, `responseTime`) as one readable line,
 * `GET /api/nope → 404 in 0.4 ms [req 5f0c…-12] request completed`, instead of two nested
 * objects; every other line keeps its message.
 */
const requestMessage: MessageFormatFunc = (log, messageKey) => {
  const message = String(log[messageKey] ?? '');
  const req = log.req as { id?: string; method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  if (!req?.method || !res) return message;
  return `${req.method} ${req.url} → ${res.statusCode} in ${String(log.responseTime)} ms [req ${req.id}] ${message}`;
};

/**
 * pino-pretty in this process, writing synchronously: its lines and the other writes of a
 * terminal session (`pnpm start`'s embedded PostgreSQL lines, a tool's progress) stay in
 * order, nothing is lost at exit, and a function can format the request lines (a pino
 * transport runs in a worker thread, where options must be plain data). Only development
 * at a terminal pays for it, where lines are few and read by a person.
 */
function prettyDestination(destination: number | NodeJS.WritableStream): DestinationStream {
  return pinoPretty({
    destination,
    sync: true,
    colorize: typeof destination === 'number' ? pinoPretty.isColorSupported : false,
    translateTime: 'SYS:HH:MM:ss.l',
    // pid: the process name tells the API from a worker; req, res, responseTime: folded into
    // the request line by requestMessage (only request lines carry them).
    ignore: 'pid,hostname,req,res,responseTime',
    messageFormat: requestMessage,
  });
}
