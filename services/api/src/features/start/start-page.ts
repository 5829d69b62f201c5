import { DASHBOARD_AGGREGATE } from '@shared/aggregates/registry';
import { Router, type Request } from 'express';
import type { Queue } from 'bullmq';
import type { Config } from '@shared/config/config';
import type { Readiness } from '../health/health-controller';
import type { RuntimeReport } from '../health/health-controller';
import { html, type Html } from '../web/html';
import { PAGE_POLICIES, pagePolicy } from '../web/page-policy';

/**
 * The start page at `/`: what a person who just ran `pnpm start` (or opened the URL it
 * printed) needs first — what runs here (mode, health, queue depth), where to go next (the
 * API reference, the demo dashboard, Bull Board, /metrics) and two or three commands to try
 * it with this instance's URL. It shows no data and no secrets: no user, no key (only
 * whether keys are required), nothing /health/ready and /metrics do not already tell
 * anyone. Rendered on the server, no script; `START_PAGE=false` turns it off (a 404).
 */
export interface StartPageDeps {
  config: Pick<Config, 'port' | 'apiKeys' | 'userTokens'>;
  runtime: RuntimeReport;
  ready: () => Promise<Readiness>;
  queues: Pick<Queue, 'name' | 'getJobCounts'>[];
}

const QUEUE_TIMEOUT_MS = 2_000;
const DEPTH_STATES = ['waiting', 'active', 'delayed', 'prioritized'] as const;

/** One queue as the page shows it; null figures: it did not answer in time. */
export interface QueueFigures {
  name: string;
  depth: number | null;
  active: number | null;
  failed: number | null;
}

export interface StartPageView {
  /** This instance as the browser reached it, e.g. `http://localhost:3000`. */
  url: string;
  /** The URL is the one `pnpm simulate` finds by itself (this machine, PORT). */
  simulateFindsIt: boolean;
  runtime: RuntimeReport;
  readiness: Readiness;
  queues: QueueFigures[];
  access: { open: boolean; userTokens: boolean };
  /** Now, for the example event's timestamp and id. */
  now: Date;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work.catch(() => null), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]).finally(() => clearTimeout(timer));
}

async function queueFigures(queue: StartPageDeps['queues'][number]): Promise<QueueFigures> {
  const counts = await withTimeout(queue.getJobCounts(...DEPTH_STATES, 'failed'), QUEUE_TIMEOUT_MS);
  if (!counts) return { name: queue.name, depth: null, active: null, failed: null };
  return { name: queue.name, depth: DEPTH_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0), active: counts.active ?? 0, failed: counts.failed ?? 0 };
}

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** This instance's URL from the request (the Host header, checked: it is the client's word), or localhost:PORT. */
function instanceUrl(req: Request, port: number): { url: string; local: boolean } {
  const host = req.get('host');
  if (!host || !HOST.test(host)) return { url: `http://localhost:${port}`, local: true };
  const [name, hostPort] = host.startsWith('[') ? [host.slice(0, host.indexOf(']') + 1), host.slice(host.indexOf(']') + 2)] : host.split(':');
  return { url: `${req.protocol}://${host}`, local: req.protocol === 'http' && LOCAL_HOSTS.has(name!) && Number(hostPort || 80) === port };
}

export function startPageRouter(deps: StartPageDeps): Router {
  const router = Router();
  const access = { open: deps.config.apiKeys.length === 0, userTokens: deps.config.userTokens !== null };
  router.get('/', pagePolicy(PAGE_POLICIES.start, { noStore: true }), async (req, res) => {
    const [readiness, queues] = await Promise.all([deps.ready(), Promise.all(deps.queues.map(queueFigures))]);
    const { url, local } = instanceUrl(req, deps.config.port);
    const page = renderStartPage({ url, simulateFindsIt: local, runtime: deps.runtime, readiness, queues, access, now: new Date() });
    res.type('html').send(page.markup);
  });
  return router;
}

const MODE_TEXT: Record<RuntimeReport['mode'], string> = {
  server: 'Redis and PostgreSQL servers: the queues on Redis, the read cache in memory (L1) and in Redis (L2).',
  embedded: 'no Redis or PostgreSQL server was configured or answering, so a PostgreSQL from npm runs beside the API, with the queues on it and the in-memory read cache (L1) only. For one machine: trials, demos, reviews.',
};

function check(name: string, result: { ok: boolean; latencyMs?: number; error?: string } | undefined, absent: boolean): Html {
  if (absent) return html`<li><span class="dot absent"></span>${name}: absent in this mode</li>`;
  if (!result) return html``;
  return result.ok
    ? html`<li><span class="dot ok"></span>${name}: ok${result.latencyMs !== undefined ? ` (${result.latencyMs} ms)` : ''}</li>`
    : html`<li><span class="dot down"></span>${name}: ${result.error ?? 'unavailable'}</li>`;
}

const figure = (value: number | null) => (value === null ? '—' : value.toLocaleString('en-US'));

/** The commands to try it, with this instance's URL (and key placeholders when keys are required). */
function commands(view: StartPageView): Html {
  const userId = 'student-1';
  const event = {
    events: [{ eventId: `try-${view.now.getTime()}`, userId, type: 'self_report', occurredAt: view.now.toISOString(), properties: { stress: 4, energy: 2 } }],
  };
  const ingestKey = view.access.open ? '' : ` -H "Authorization: Bearer $INGEST_KEY"`;
  const readKey = view.access.open ? '' : ` -H "Authorization: Bearer $READ_KEY"`;
  const simulateFlags = [view.simulateFindsIt ? '' : ` --url ${view.url}`, view.access.open || view.simulateFindsIt ? '' : ' --key "$INGEST_KEY"'].join('');
  return html`
    <ol class="commands">
      <li>
        <p>Send an event (a student reports stress 4 of 5):</p>
        <pre><code>curl -X POST ${view.url}/api/events -H 'Content-Type: application/json'${ingestKey} \\
  -d '${JSON.stringify(event)}'</code></pre>
      </li>
      <li>
        <p>Read it back a moment later, recomputed (cognitive load counts the latest self-report):</p>
        <pre><code>curl '${view.url}/api/analytics/${DASHBOARD_AGGREGATE}?userId=${userId}'${readKey}</code></pre>
      </li>
      <li>
        <p>Run a simulated cohort of students for a minute, then open the <a href="/demo">demo dashboard</a>:</p>
        <pre><code>pnpm simulate -- --duration 60 --rate 50${simulateFlags}</code></pre>
      </li>
    </ol>
    ${view.access.open ? html`` : html`<p class="note">Keys are required here: <code>INGEST_KEY</code> and <code>READ_KEY</code> stand for keys of those roles in <code>API_KEYS</code> (<code>pnpm simulate</code> takes the ingest key from <code>API_KEYS</code> when its environment has it).</p>`}`;
}

export function renderStartPage(view: StartPageView): Html {
  const { readiness, runtime } = view;
  const checks = readiness.body.checks;
  const absent = new Set(runtime.absent);
  const accessText = view.access.open
    ? html`<strong>open</strong>: <code>API_KEYS</code> is not set, so every route answers without a key (development only; production refuses to start so).`
    : html`API keys required (<code>Authorization: Bearer &lt;key&gt;</code>, roles ingest, read, admin)${view.access.userTokens ? '; user tokens of the study app are accepted on the analytics routes' : ''}.`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>study analytics</title>
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<header class="top">
  <h1>study analytics</h1>
  <span class="badge">${runtime.mode} mode</span>
  <span class="badge ${readiness.ok ? 'ok' : 'down'}">${readiness.ok ? 'ready' : 'not ready'}</span>
  <nav><a href="/docs">API reference</a><a href="/demo">Demo dashboard</a><a href="/admin/queues">Bull Board</a><a href="/metrics">Metrics</a></nav>
</header>
<main class="start">
  <p class="lead">The analytics backend of a study app: the app sends behavioral events and finished study sessions, workers turn them into each student's aggregates, and a dashboard reads those here, at <code>${view.url}</code>.</p>

  <section class="panel" id="status">
    <h2>What runs here</h2>
    <dl class="facts">
      <dt>Mode</dt><dd><strong>${runtime.mode}</strong>: ${MODE_TEXT[runtime.mode]}</dd>
      <dt>Health</dt><dd><ul class="checks">${check('PostgreSQL', checks.postgres, false)}${check('Redis', checks.redis, absent.has('redis'))}${check('queues', checks.queues, false)}</ul><a href="/health/ready">/health/ready</a></dd>
      <dt>Access</dt><dd>${accessText}</dd>
    </dl>
    <table class="queues">
      <caption>Queue depth (jobs not finished: waiting, active, delayed, prioritized), as this page was made</caption>
      <thead><tr><th>queue</th><th>depth</th><th>active</th><th>failed</th></tr></thead>
      <tbody>${view.queues.map((q) => html`<tr><td>${q.name}</td><td>${figure(q.depth)}</td><td>${figure(q.active)}</td><td>${figure(q.failed)}</td></tr>`)}</tbody>
    </table>
  </section>

  <section class="links" id="links">
    <a class="card" href="/docs"><h2>API reference</h2><p>Every route, its parameters and answers, from the OpenAPI document; try them from the page.</p></a>
    <a class="card" href="/demo"><h2>Demo dashboard</h2><p>One student's analytics as a dashboard shows them: missions, study patterns, mastery, cognitive load, predictions, interventions.</p></a>
    <a class="card" href="/admin/queues"><h2>Bull Board</h2><p>The queues, their jobs, failures and retries${view.access.open ? '' : ' (log in with any user name and the admin key as password)'}.</p></a>
    <a class="card" href="/metrics"><h2>Metrics</h2><p>Prometheus text: latency per route, cache tiers, queue depth and lag, freshness.</p></a>
  </section>

  <section class="panel" id="try">
    <h2>Try it</h2>
    ${commands(view)}
  </section>
</main>
<footer class="foot">Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> · <a href="/health/live">/health/live</a> · More in the project's README and docs/.</footer>
</body>
</html>
`;
}
