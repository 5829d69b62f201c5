/**
 * The PromQL expressions of docs/ops (rules and dashboard), and the queries that prove each
 * one against a live Prometheus. A full expression may legitimately return nothing (an alert's
 * threshold is not crossed), so what is checked is what the alert is made of:
 *
 * - the expression with every comparison against a number removed (`x > 0.8` → `x`),
 * - each operand of a top-level `and` / `or` / `unless`, likewise without its comparisons,
 * - every metric selector in it, on its own (`rate(m{a="b"}[5m])` → `m{a="b"}`).
 *
 * A misspelt metric or label name, or a label value the code never produces, leaves one of
 * these empty. This is a small scanner for the PromQL the ops files use, not a full parser.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const OPS_DIR = join(__dirname, '../../docs/ops');
export const RULES_FILE = join(OPS_DIR, 'prometheus/rules.yml');
export const RULES_TEST_FILE = join(OPS_DIR, 'prometheus/rules.test.yml');
export const PROMETHEUS_CONFIG = join(OPS_DIR, 'prometheus/prometheus.yml');
export const DASHBOARD_FILE = join(OPS_DIR, 'grafana/dashboards/study-analytics.json');

export interface Expression {
  /** Where it comes from: `alert FreshnessP99Over1s`, `record queue:queue_jobs:max`, `panel "Pool" A`. */
  source: string;
  expr: string;
  /** Labels a panel's legend names (`{{queue}}`): the expression's series must carry them. */
  legendLabels?: string[];
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRules(file = RULES_FILE): Rule[] {
  const doc = parse(readFileSync(file, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

export function ruleExpressions(file = RULES_FILE): Expression[] {
  return loadRules(file).map((r) => ({ source: r.alert ? `alert ${r.alert}` : `record ${r.record}`, expr: r.expr.trim() }));
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: { refId?: string; expr?: string; legendFormat?: string; datasource?: { type?: string; uid?: string } }[];
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps: { value: number | null; color: string }[] } } };
}

export function loadDashboard(file = DASHBOARD_FILE): { uid: string; title: string; schemaVersion: number; panels: DashboardPanel[] } & Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function dashboardExpressions(file = DASHBOARD_FILE): Expression[] {
  return loadDashboard(file).panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      source: `panel "${p.title}" ${t.refId}`,
      expr: (t.expr ?? '').trim(),
      legendLabels: [...(t.legendFormat ?? '').matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!),
    })),
  );
}

// --- scanning ------------------------------------------------------------------------------

type Token = { kind: 'str' | 'num' | 'ident' | 'op' | 'punct' | 'space'; text: string };

const TOKEN = /\s+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*|[A-Za-z_:][A-Za-z0-9_:]*|==|!=|>=|<=|=~|!~|[-+*/%^<>=]|[(){}[\],]/gy;

export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expr);
    if (!match) throw new Error(`cannot scan PromQL at ${at}: ${expr.slice(at, at + 20)}`);
    const text = match[0];
    const kind: Token['kind'] = /^\s/.test(text)
      ? 'space'
      : /^["'`]/.test(text)
        ? 'str'
        : /^\d/.test(text)
          ? 'num'
          : /^[A-Za-z_:]/.test(text)
            ? 'ident'
            : /^[(){}[\],]$/.test(text)
              ? 'punct'
              : 'op';
    tokens.push({ kind, text });
  }
  return tokens;
}

const COMPARISONS = new Set(['>', '<', '>=', '<=', '==', '!=']);
const SET_OPERATORS = new Set(['and', 'or', 'unless']);
const MATCHING = new Set(['on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['by', 'without', 'bool', 'offset', ...SET_OPERATORS, ...MATCHING, 'inf', 'nan']);
const LABEL_LIST_BEFORE = new Set(['by', 'without', ...MATCHING]);

const join_ = (tokens: Token[]) =>
  tokens
    .map((t) => t.text)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();

/** Brace/paren/bracket depth before each token; braces counted apart (label matchers). */
function depths(tokens: Token[]): { paren: number; brace: number }[] {
  let paren = 0;
  let brace = 0;
  return tokens.map((t) => {
    const before = { paren, brace };
    if (t.text === '(' || t.text === '[') paren += 1;
    if (t.text === ')' || t.text === ']') paren -= 1;
    if (t.text === '{') brace += 1;
    if (t.text === '}') brace -= 1;
    return before;
  });
}

const next = (tokens: Token[], i: number) => {
  let j = i + 1;
  while (j < tokens.length && tokens[j]!.kind === 'space') j += 1;
  return j;
};

/** Removes every `<comparison> [bool] <number>` (outside label matchers): the thresholds. */
export function withoutComparisons(expr: string): string {
  const tokens = tokenize(expr);
  const depth = depths(tokens);
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const t = tokens[i]!;
    if (t.kind === 'op' && COMPARISONS.has(t.text) && depth[i]!.brace === 0) {
      let j = next(tokens, i);
      if (tokens[j]?.text === 'bool') j = next(tokens, j);
      if (tokens[j]?.text === '-') j = next(tokens, j);
      if (tokens[j]?.kind === 'num') {
        i = j;
        continue;
      }
    }
    out.push(t);
  }
  return join_(out);
}

/** The operands of the expression's top-level and / or / unless, without on(...)/ignoring(...) modifiers. */
export function setOperands(expr: string): string[] {
  const tokens = tokenize(expr);
  const depth = depths(tokens);
  const parts: Token[][] = [[]];
  for (let i = 0; i < tokens.length; i += 1) {
    const t = tokens[i]!;
    if (t.kind === 'ident' && SET_OPERATORS.has(t.text) && depth[i]!.paren === 0 && depth[i]!.brace === 0) {
      parts.push([]);
      // Skip on (...) / ignoring (...) / group_left (...) right after the operator.
      let j = next(tokens, i);
      while (tokens[j] && MATCHING.has(tokens[j]!.text)) {
        j = next(tokens, j);
        if (tokens[j]?.text === '(') {
          while (tokens[j] && tokens[j]!.text !== ')') j += 1;
          j = next(tokens, j);
        }
      }
      i = j - 1;
      continue;
    }
    parts[parts.length - 1]!.push(t);
  }
  return parts.map(join_).filter((p) => p.length > 0);
}

export interface Selector {
  metric: string;
  /** Label matchers as written: `state="waiting"`, `status=~"5.."`. */
  matchers: { label: string; op: string; value: string }[];
  text: string;
}

/** Every metric selector of the expression (function names, label lists and keywords excluded). */
export function selectors(expr: string): Selector[] {
  const tokens = tokenize(expr);
  const depth = depths(tokens);
  const found: Selector[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const t = tokens[i]!;
    if (t.kind !== 'ident' || depth[i]!.brace > 0 || KEYWORDS.has(t.text)) continue;
    const after = next(tokens, i);
    // A function, or an aggregation (`sum(`, `sum by (…) (`).
    if (tokens[after]?.text === '(' || tokens[after]?.text === 'by' || tokens[after]?.text === 'without') continue;
    if (insideLabelList(tokens, i)) continue;
    const matchers: Selector['matchers'] = [];
    if (tokens[after]?.text === '{') {
      let j = next(tokens, after);
      while (tokens[j] && tokens[j]!.text !== '}') {
        const label = tokens[j]!.text;
        const op = tokens[next(tokens, j)]!.text;
        const value = tokens[next(tokens, next(tokens, j))]!.text;
        matchers.push({ label, op, value: value.slice(1, -1) });
        j = next(tokens, next(tokens, next(tokens, j)));
        if (tokens[j]?.text === ',') j = next(tokens, j);
      }
    }
    found.push({ metric: t.text, matchers, text: selectorText(t.text, matchers) });
  }
  return found;
}

export function selectorText(metric: string, matchers: Selector['matchers']): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}

/** True when token i sits in the (...) of by / without / on / ignoring / group_left / group_right. */
function insideLabelList(tokens: Token[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && tokens[j]!.text !== '(' && tokens[j]!.text !== ')' && (tokens[j]!.kind === 'ident' || tokens[j]!.kind === 'space' || tokens[j]!.text === ',')) j -= 1;
  if (j < 0 || tokens[j]!.text !== '(') return false;
  let k = j - 1;
  while (k >= 0 && tokens[k]!.kind === 'space') k -= 1;
  return k >= 0 && LABEL_LIST_BEFORE.has(tokens[k]!.text);
}

/** Labels the expression groups or matches by: by (…), on (…), ignoring (…), group_left (…), group_right (…). */
export function groupingLabels(expr: string): string[] {
  const tokens = tokenize(expr);
  const labels = new Set<string>();
  tokens.forEach((t, i) => {
    if (t.kind !== 'ident' || !LABEL_LIST_BEFORE.has(t.text) || t.text === 'without') return;
    let j = next(tokens, i);
    if (tokens[j]?.text !== '(') return;
    for (j = next(tokens, j); tokens[j] && tokens[j]!.text !== ')'; j = next(tokens, j)) if (tokens[j]!.kind === 'ident') labels.add(tokens[j]!.text);
  });
  return [...labels];
}

/** The queries that must return data for an expression to count as proven (deduplicated). */
export function proofQueries(expr: string): { whole: string; operands: string[]; selectors: Selector[]; groupingLabels: string[] } {
  const whole = withoutComparisons(expr);
  const operands = setOperands(expr).map(withoutComparisons);
  const seen = new Set<string>();
  const sels = selectors(expr).filter((s) => !seen.has(s.text) && seen.add(s.text));
  return { whole, operands: operands.length > 1 ? operands : [], selectors: sels, groupingLabels: groupingLabels(expr) };
}
