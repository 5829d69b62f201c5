import { aggregatesOfHistory } from '@shared/aggregates/compute-user-aggregates';
import { NO_PERIOD } from '@shared/contracts/analytics-query';
import { AGGREGATE_NAMES, type AggregateName } from '@shared/aggregates/registry';
import { cognitiveLoadCases } from './cognitive-load.golden';
import { dashboardCases } from './dashboard.golden';
import { historyOf } from './golden-history';
import { interventionsCases } from './interventions.golden';
import { missionsSummaryCases } from './missions-summary.golden';
import { objectivesCases } from './objectives.golden';
import { patternsCases } from './patterns.golden';
import { predictionsCases } from './predictions.golden';
import type { GoldenCase } from './rows';
import { stressProfileCases } from './stress-profile.golden';
import { struggleReductionCases } from './struggle-reduction.golden';

/**
 * The formula check: each golden case's raw rows go through the public pure entry point
 * (`computeUserAggregates`) and its aggregate must equal the output worked out by hand from
 * SPEC section 5. The pipeline tests (test/support/expected-aggregates.ts) run these same
 * formulas over the published rows, so they check the pipeline and storage, not the formulas.
 *
 * Numbers are compared to 1e-9 (relative): the SPEC's numbers are exact fractions such as
 * 2 / 3 and weights such as 0.3, so the last binary digit depends on the order of a sum,
 * while any wrong rule or window moves a number by far more than that.
 */
function numbersAgree(a: unknown, b: unknown): boolean | undefined {
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}
// Jest 30 has expect.addEqualityTesters; @types/jest does not declare it yet.
(expect as unknown as { addEqualityTesters(testers: (typeof numbersAgree)[]): void }).addEqualityTesters([numbersAgree]);

interface Suite {
  aggregate: AggregateName;
  section: string;
  /** Aggregates with a period give their expected data by period; the others, the data itself. */
  byPeriod: boolean;
  cases: GoldenCase<unknown>[];
}

const SUITES: Suite[] = [
  { aggregate: 'missions/summary', section: '5.1', byPeriod: true, cases: missionsSummaryCases },
  { aggregate: 'patterns', section: '5.2', byPeriod: false, cases: patternsCases },
  { aggregate: 'objectives', section: '5.3', byPeriod: false, cases: objectivesCases },
  { aggregate: 'cognitive-load/current', section: '5.4', byPeriod: false, cases: cognitiveLoadCases },
  { aggregate: 'stress-profile', section: '5.5', byPeriod: false, cases: stressProfileCases },
  { aggregate: 'predictions', section: '5.6', byPeriod: false, cases: predictionsCases },
  { aggregate: 'interventions', section: '5.7', byPeriod: false, cases: interventionsCases },
  { aggregate: 'struggle-reduction', section: '5.8', byPeriod: true, cases: struggleReductionCases },
  { aggregate: 'behavioral-insights/dashboard', section: '5.9', byPeriod: false, cases: dashboardCases },
];

/** The data of `aggregate` for each period the case expects (or the single '-' row). */
function computed(suite: Suite, golden: GoldenCase<unknown>): Record<string, unknown> {
  const { entries } = aggregatesOfHistory(historyOf(golden));
  const periods = suite.byPeriod ? Object.keys(golden.expected as object) : [NO_PERIOD];
  return Object.fromEntries(periods.map((period) => [period, entries.find((e) => e.aggregate === suite.aggregate && e.period === period)?.data]));
}

describe.each(SUITES)('golden cases: SPEC $section $aggregate', (suite) => {
  it.each(suite.cases.map((golden) => [golden.pins, golden] as const))('%s', (_pins, golden) => {
    const expected = suite.byPeriod ? golden.expected : { [NO_PERIOD]: golden.expected };
    expect(computed(suite, golden)).toEqual(expected);
  });
});

it('every aggregate of SPEC section 5 has golden cases, starting with an unknown user', () => {
  expect(SUITES.map((s) => s.aggregate)).toEqual([...AGGREGATE_NAMES]);
  for (const suite of SUITES) {
    expect(suite.cases.length).toBeGreaterThanOrEqual(3);
    expect(suite.cases[0]!.events ?? []).toEqual([]);
    expect(suite.cases[0]!.sessions ?? []).toEqual([]);
  }
});
