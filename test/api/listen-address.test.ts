import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig, type Config } from '@shared/config/config';
import { startApiServer, type ApiServer } from '../../services/api/src/server';
import { API_KEYS_ENV, appDepsFor } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { loggerInto } from '../support/user-token-fixtures';

/**
 * Who can reach the API. Without API_KEYS every route is open (reads of every student,
 * ingest, Bull Board's buttons), so it listens on loopback only and its start line says so;
 * HOST opts into other interfaces (with a warning while there are no keys; production
 * without keys is refused before anything listens). With keys it listens on every interface,
 * as before. Reachability is tried for real through this machine's first non-loopback IPv4
 * address when it has one.
 */
let system: TestSystem;
const servers: ApiServer[] = [];
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

beforeAll(async () => {
  system = await startTestSystem({ workers: false });
}, 60_000);
afterAll(async () => {
  for (const server of servers) await server.close();
  await system?.stop();
});

/** The API on a free port with the listening part of the configuration `env` gives; its log lines. */
async function serve(env: Record<string, string>): Promise<{ server: ApiServer; lines: Record<string, unknown>[] }> {
  const chosen = loadConfig(env);
  const config: Config = { ...system.config, port: 0, listen: chosen.listen, apiKeys: chosen.apiKeys };
  const lines: Record<string, unknown>[] = [];
  const server = await startApiServer({ ...appDepsFor(system), config, logger: loggerInto(lines, 'info'), registry: new Registry() });
  servers.push(server);
  return { server, lines };
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const startLine = (lines: Record<string, unknown>[]) => lines.find((l) => l.msg === 'API listening');

it('without API_KEYS: listens on 127.0.0.1 only, and the start line says so and why', async () => {
  const { server, lines } = await serve({});
  expect(server.host).toBe('127.0.0.1');
  expect(startLine(lines)).toMatchObject({ host: '127.0.0.1', port: server.port, url: `http://127.0.0.1:${server.port}`, interfaces: expect.stringMatching(/^loopback only: API_KEYS is not set/) });
  expect(lines.find((l) => l.level === 40)?.msg).toMatch(/API_KEYS is not set: every route is open, so it listens on loopback only/);
  expect(await accepts('127.0.0.1', server.port)).toBe(true);
  if (externalAddress) expect(await accepts(externalAddress, server.port)).toBe(false);
});

it('without API_KEYS, HOST opts into other interfaces, with a warning in the start line', async () => {
  const { server, lines } = await serve({ HOST: '0.0.0.0' });
  expect(server.host).toBe('0.0.0.0');
  expect(startLine(lines)?.interfaces).toBe('HOST=0.0.0.0 with no API_KEYS: every route is open to anyone who reaches that address');
  expect(lines.find((l) => l.level === 40)?.msg).toMatch(/every route is open, and HOST=0.0.0.0 exposes it beyond this machine/);
  if (externalAddress) expect(await accepts(externalAddress, server.port)).toBe(true);
});

it('with API_KEYS: every interface as before, and HOST can narrow it', async () => {
  const all = await serve({ API_KEYS: API_KEYS_ENV });
  expect(all.server.host).toBe('::');
  expect(startLine(all.lines)?.interfaces).toBe('every interface (API_KEYS is set; HOST restricts it)');
  if (externalAddress) expect(await accepts(externalAddress, all.server.port)).toBe(true);
  const narrowed = await serve({ API_KEYS: API_KEYS_ENV, HOST: '127.0.0.1' });
  expect(narrowed.server.host).toBe('127.0.0.1');
  if (externalAddress) expect(await accepts(externalAddress, narrowed.server.port)).toBe(false);
});

it('production without API_KEYS is refused whatever HOST says, and a HOST that is no address is named', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };
  expect(problems({ NODE_ENV: 'production', HOST: '0.0.0.0' })).toEqual(['API_KEYS: required when NODE_ENV=production (comma list of role:key)']);
  expect(problems({ HOST: 'http://0.0.0.0:3000' })).toEqual([expect.stringMatching(/^HOST: must be an address or host name to listen on/)]);
});
