import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { loadRules, OPS_DIR, PROMETHEUS_CONFIG, RULES_FILE, RULES_TEST_FILE } from './promql-expressions';
import { promtool } from './prometheus-server';

/**
 * The alert and recording rules with Debian's promtool: syntax (check rules, check config)
 * and behaviour (test rules: docs/ops/prometheus/rules.test.yml, synthetic series in which
 * every alert fires in one case and stays silent in another).
 */
const rules = loadRules();
const alerts = rules.filter((r) => r.alert);

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[];
}
const unitTests = (parse(readFileSync(RULES_TEST_FILE, 'utf8')) as { tests: { name: string; alert_rule_test?: AlertTest[] }[] }).tests;

it('promtool check rules accepts every rule', () => {
  const { status, output } = promtool(['check', 'rules', RULES_FILE]);
  expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  expect(status).toBe(0);
});

it('promtool check config accepts the compose Prometheus configuration and its rule file', () => {
  const { status, output } = promtool(['check', 'config', PROMETHEUS_CONFIG], dirname(PROMETHEUS_CONFIG));
  expect(output).toContain('SUCCESS: 1 rule files found');
  expect(status).toBe(0);
});

it('promtool test rules passes every unit test', () => {
  const { status, output } = promtool(['test', 'rules', RULES_TEST_FILE], dirname(RULES_TEST_FILE));
  expect(output).toContain('SUCCESS');
  expect(output).not.toContain('FAILED');
  expect(status).toBe(0);
});

it('the unit tests would catch a wrong threshold: a pool alert moved from 95 % to 99 % fails them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-rules-'));
  try {
    const text = readFileSync(RULES_FILE, 'utf8');
    expect(text).toContain('db_pool_utilization_ratio > 0.95');
    writeFileSync(join(dir, 'rules.yml'), text.replace('db_pool_utilization_ratio > 0.95', 'db_pool_utilization_ratio > 0.99'));
    copyFileSync(RULES_TEST_FILE, join(dir, 'rules.test.yml'));
    const { status, output } = promtool(['test', 'rules', 'rules.test.yml'], dir);
    expect(output).toContain('FAILED');
    expect(output).toContain('DbPoolUtilizationCritical');
    expect(status).not.toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.each(alerts.map((a) => [a.alert!, a] as const))('alert %s', (name, alert) => {
  it('fires in one unit test case and stays silent in another', () => {
    const cases = unitTests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === name));
    expect(cases.some((c) => c.exp_alerts.length > 0)).toBe(true);
    expect(cases.some((c) => c.exp_alerts.length === 0)).toBe(true);
  });

  it('has a severity, a summary, and a runbook section that exists', () => {
    expect(['warning', 'critical']).toContain(alert.labels?.severity);
    expect(alert.annotations?.summary?.length).toBeGreaterThan(20);
    const [file, anchor] = (alert.annotations?.runbook ?? '').split('#');
    expect(file).toBe('docs/ops/runbook.md');
    const headings = readFileSync(join(OPS_DIR, 'runbook.md'), 'utf8')
      .split('\n')
      .filter((line) => /^#{2,3} /.test(line))
      .map(githubAnchor);
    expect(headings).toContain(anchor);
  });
});

/** The anchor GitHub gives a Markdown heading. */
function githubAnchor(heading: string): string {
  return heading
    .replace(/^#+ /, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}
