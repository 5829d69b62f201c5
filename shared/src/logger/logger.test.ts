import { PassThrough } from 'node:stream';
import { createLogger, logFormatFor } from './logger';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

describe('logFormatFor', () => {
  it.each([
    ['development', true, 'pretty'],
    ['development', false, 'json'],
    ['development', undefined, 'json'],
    ['production', true, 'json'],
    ['test', true, 'json'],
    [undefined, true, 'json'],
  ] as const)('NODE_ENV=%s, a TTY: %s → %s', (env, tty, format) => {
    expect(logFormatFor(env, tty)).toBe(format);
  });
});

describe('createLogger', () => {
  it('writes JSON lines when the format is json', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', name: 'unit', format: 'json', destination: out.stream });
    logger.info({ port: 3000 }, 'API listening');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, name: 'unit', msg: 'API listening', port: 3000 });
  });

  it('writes readable lines when the format is pretty: no JSON line, fields below the message', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', name: 'unit', format: 'pretty', destination: out.stream });
    logger.info({ port: 3000 }, 'API listening');
    const lines = out.text().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(unit\): API listening$/);
    expect(lines.slice(1).join('\n')).toMatch(/port: 3000/);
    for (const line of lines) expect(line.trimStart().startsWith('{')).toBe(false);
  });

  it('folds a request line into one readable line, and still redacts credentials', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', name: 'unit', format: 'pretty', destination: out.stream });
    logger.info({ req: { id: 'abc-1', method: 'GET', url: '/nope' }, res: { statusCode: 404 }, responseTime: 0.4, errorCode: 'E_NOT_FOUND' }, 'request completed');
    logger.warn({ headers: { authorization: 'Bearer secret-key-0000000000' } }, 'odd request');
    const text = out.text();
    expect(text).toMatch(/INFO \(unit\): GET \/nope → 404 in 0\.4 ms \[req abc-1\] request completed\n\s+errorCode: "E_NOT_FOUND"/);
    expect(text).not.toMatch(/statusCode|responseTime/);
    expect(text).not.toContain('secret-key');
    expect(text).toContain('[redacted]');
  });
});
