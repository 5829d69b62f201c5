import type { EventPublisher } from '@shared/queues/event-publisher';
import { KEYS } from '../support/api-app';
import { chunks, simulatedTraffic } from '../support/traffic';
import { dashboardExpressions, loadRules, proofQueries, ruleExpressions, selectorText, type Expression, type Selector } from './promql-expressions';
import type { PrometheusServer } from './prometheus-server';

/**
 * What the live Prometheus tests check, whichever layout runs the system (prometheus-live
 * for `pnpm start`'s, prometheus-live-compose for docker-compose's): every rule and dashboard
 * expression returns data through Prometheus's HTTP API while study-app events flow and the
 * dashboard reads (see promql-expressions.ts for what "return data" means for an alert).
 */

/**
 * Label values that a healthy run never produces, so a selector asking for them is empty by
 * design. For those, the selector without that matcher must return data and the label must
 * exist on the metric (`status!=""`): the name and the label are proven, the value is not.
 */
const ABSENT_IN_A_HEALTHY_RUN = [{ label: 'status', value: '5..', why: 'no request fails with 5xx in a healthy run' }];

export const USERS = Array.from({ length: 12 }, (_, i) => `ops-user-${i}`);
const READ_ROUTES = ['patterns', 'behavioral-insights/dashboard', 'cognitive-load/current', 'objectives'];

type Vector = { metric: Record<string, string>; value: [number, string] }[];

/**
 * Series of an instant query that carry a number (not NaN: a quantile of no observations)
 * and every one of `labels` (a panel's legend labels).
 */
async function seriesWithData(prometheus: PrometheusServer, query: string, labels: string[] = []): Promise<number> {
  const data = await prometheus.api<{ resultType: string; result: Vector }>('query', { query });
  return data.result.filter((s) => !Number.isNaN(Number(s.value[1])) && labels.every((l) => s.metric[l])).length;
}

export interface Check {
  source: string;
  /**
   * expression: without its thresholds (with a panel's legend labels on its series); operand: each side of
   * and / or / unless; selector: each metric selector alone; label: a label grouped or matched by (by, on,
   * ignoring) is present on at least one of the expression's selectors (`query` holds their alternatives).
   */
  kind: 'expression' | 'operand' | 'selector' | 'label';
  query: string;
  /** Labels every counted series must carry (a panel's legend). */
  labels?: string[];
  /** For kind 'label': one query per selector, any of which may hold the label. */
  anyOf?: string[];
  /** For a selector asking for a value a healthy run never has: the queries that prove the rest. */
  fallback?: { queries: string[]; why: string };
  series?: number;
}

export function checksOf(expressions: Expression[]): Check[] {
  return expressions.flatMap(({ source, expr, legendLabels }) => {
    const proof = proofQueries(expr);
    // A selector asking for a value a healthy run never has stands in with its other matchers.
    const bases = proof.selectors.map((s) => (fallbackFor(s) ? selectorText(s.metric, s.matchers.filter((m) => !ABSENT_IN_A_HEALTHY_RUN.some((a) => a.label === m.label && a.value === m.value))) : s.text));
    return [
      { source, kind: 'expression' as const, query: proof.whole, labels: legendLabels },
      ...proof.operands.map((query) => ({ source, kind: 'operand' as const, query })),
      ...proof.selectors.map((s) => ({ source, kind: 'selector' as const, query: s.text, fallback: fallbackFor(s) })),
      ...proof.groupingLabels.map((label) => ({
        source,
        kind: 'label' as const,
        query: `${label} on one of ${proof.selectors.map((s) => s.metric).join(', ')}`,
        anyOf: bases.map((base) => withMatcher(base, label)),
      })),
    ];
  });
}

/** `m{a="b"}` + label → `m{a="b", label!=""}`: the series that carry the label. */
function withMatcher(selector: string, label: string): string {
  return selector.endsWith('}') ? `${selector.slice(0, -1)}, ${label}!=""}` : `${selector}{${label}!=""}`;
}

function fallbackFor(s: Selector): Check['fallback'] {
  const absent = ABSENT_IN_A_HEALTHY_RUN.find((a) => s.matchers.some((m) => m.label === a.label && m.value === a.value));
  if (!absent) return undefined;
  const rest = s.matchers.filter((m) => !(m.label === absent.label && m.value === absent.value));
  return { queries: [selectorText(s.metric, rest), selectorText(s.metric, [...rest, { label: absent.label, op: '!=', value: '' }])], why: absent.why };
}

/** Where the study app publishes and the dashboard reads, in the layout under test. */
export interface LiveSystem {
  publisher: EventPublisher;
  apiUrl: string;
}

/** Publishes a slice of simulated study-app traffic and reads it back through the API, as the dashboard would. */
async function trafficRound(live: LiveSystem, round: number, traffic: ReturnType<typeof simulatedTraffic>, eventChunks: (typeof traffic.events)[]): Promise<void> {
  const chunk = eventChunks[round % eventChunks.length]!;
  // Later rounds re-send earlier slices under new ids: the users' aggregates keep changing.
  await live.publisher.publishEvents(round < eventChunks.length ? chunk : chunk.map((e) => ({ ...e, eventId: `${e.eventId}-r${round}` })));
  if (round === 0) await live.publisher.publishSessionCompleted(traffic.sessions);
  const reads = USERS.flatMap((userId) => READ_ROUTES.map((route) => `${live.apiUrl}/api/analytics/${route}?userId=${userId}`));
  // Each route twice: the first read after a recompute comes from L2 (or the loader), the second from L1.
  for (let i = 0; i < 2; i += 1) {
    const statuses = await Promise.all(reads.map((url) => fetch(url, { headers: { Authorization: `Bearer ${KEYS.read}` } }).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
  }
  // Refusals, as clients make them: a missing key (401) and an unknown route (404).
  expect((await fetch(`${live.apiUrl}/api/analytics/patterns?userId=${USERS[0]}`)).status).toBe(401);
  expect((await fetch(`${live.apiUrl}/api/no-such-route`, { headers: { Authorization: `Bearer ${KEYS.read}` } })).status).toBe(404);
}

async function runChecks(prometheus: PrometheusServer, checks: Check[]): Promise<Check[]> {
  const missing: Check[] = [];
  for (const check of checks) {
    if (check.anyOf) check.series = (await Promise.all(check.anyOf.map((q) => seriesWithData(prometheus, q)))).reduce((a, b) => a + b, 0);
    else check.series = await seriesWithData(prometheus, check.query, check.labels);
    if (check.series === 0 && check.fallback) {
      const counts = await Promise.all(check.fallback.queries.map((q) => seriesWithData(prometheus, q)));
      check.series = Math.min(...counts);
    }
    if (check.series === 0) missing.push(check);
  }
  return missing;
}

/**
 * Traffic in rounds until every rule and panel expression has data (or the deadline: then the
 * report names what has none); `layout` names the layout in the report.
 */
export async function expectEveryExpressionToReturnData(prometheus: PrometheusServer, live: LiveSystem, layout: string): Promise<void> {
  const expressions = [...ruleExpressions(), ...dashboardExpressions()];
  const checks = checksOf(expressions);
  const traffic = simulatedTraffic(USERS, { days: 14, seed: 7 });
  const eventChunks = chunks(traffic.events, 80);

  const deadline = Date.now() + 75_000;
  let missing: Check[] = checks;
  for (let round = 0; missing.length > 0 && Date.now() < deadline; round += 1) {
    await trafficRound(live, round, traffic, eventChunks);
    missing = await runChecks(prometheus, missing);
  }

  const lines = checks.map((c) => `${c.series! > 0 ? 'ok  ' : 'NONE'} ${String(c.series).padStart(3)} series  ${c.source}  [${c.kind}] ${c.query}${c.labels?.length ? ` (legend: ${c.labels.join(', ')})` : ''}${c.fallback ? `  (value not seen: ${c.fallback.why}; proven: ${c.fallback.queries.join(' and ')})` : ''}`);
  console.log(`${layout}: ${checks.length} queries for ${expressions.length} expressions (${ruleExpressions().length} rules, ${dashboardExpressions().length} panel targets):\n${lines.join('\n')}`);
  expect(missing.map((c) => `${c.source} [${c.kind}] ${c.query}`)).toEqual([]);
  // Every expression was checked whole, so a rule or panel with no selector cannot slip through.
  expect(new Set(checks.filter((c) => c.kind === 'expression').map((c) => c.source)).size).toBe(expressions.length);
}

/** Prometheus loaded every rule and evaluates each without error; returns its scrape targets as [job, health, lastError]. */
export async function expectRulesLoadedAndEvaluated(prometheus: PrometheusServer): Promise<string[][]> {
  const rules = loadRules();
  type RuleState = { name: string; health: string; lastError?: string; lastEvaluation: string };
  let loaded: RuleState[] = [];
  // Rules are evaluated every second; wait until each has been evaluated once.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const data = await prometheus.api<{ groups: { rules: RuleState[] }[] }>('rules');
    loaded = data.groups.flatMap((g) => g.rules);
    if (loaded.length === rules.length && loaded.every((r) => !r.lastEvaluation.startsWith('0001-'))) break;
  }
  expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.alert ?? r.record!).sort());
  expect(loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError}`)).toEqual([]);
  const targets = await prometheus.api<{ activeTargets: { labels: { job: string; instance: string }; health: string; lastError: string }[] }>('targets');
  return targets.activeTargets.map((t) => [t.labels.job, t.labels.instance, t.health, t.lastError]);
}
