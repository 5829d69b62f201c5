import { ago, DAY, digestOf, event, HOUR, MIN, NOW, review, session } from '../../../test/support/history-builder';
import type { CognitiveLoad, Prediction, StudyPatterns } from './aggregate-schemas';
import { AGGREGATES } from './registry';
import { computeUserAggregates } from './compute-user-aggregates';
import { interventions } from './interventions';
import { rankedPredictions, strugglePredictions } from './struggle-predictions';
import { struggleReduction } from './struggle-reduction';
import { studyPatterns } from './study-patterns';
import { emptyDigest } from './user-digest';
import type { EventRow } from './user-history';

const reviewsAt = (objectiveId: string, pattern: boolean[], start: number) => pattern.map((c, i) => review(objectiveId, ago(start + i * MIN), c));

describe('5.6 predictions', () => {
  it('scores objectives with ≥ 3 reviews in 30 days by the exact formula', () => {
    const events = [...reviewsAt('a', [false, false, true], 3 * DAY), ...reviewsAt('b', [true, true], HOUR)];
    const h = digestOf(events);
    const [a, ...rest] = rankedPredictions(h.objectives, 50, NOW);
    expect(rest).toEqual([]);
    expect(a!.objectiveId).toBe('a');
    expect(a!.recentAccuracy).toBeCloseTo(1 / 3, 12);
    expect(a!.daysSinceLastPractice).toBeCloseTo(3, 12);
    expect(a!.struggleProbability).toBeCloseTo(0.5 * (2 / 3) + 0.3 * (3 / 30) + 0.2 * 0.5, 12);
    expect(a!.riskLevel).toBe('MEDIUM');
  });

  it('orders by probability desc then id, lists 20 and counts all', () => {
    const events = Array.from({ length: 25 }, (_, i) => reviewsAt(`o${String(i).padStart(2, '0')}`, [false, false, false], HOUR)).flat();
    const h = digestOf(events);
    const ranked = rankedPredictions(h.objectives, 100, NOW);
    const result = strugglePredictions(ranked, 100);
    expect(result.predictions).toHaveLength(20);
    expect(result.predictions[0]!.objectiveId).toBe('o00');
    expect(result.counts).toEqual({ HIGH: 25, MEDIUM: 0, LOW: 0 });
  });

  it.each([
    [2, 100, 'HIGH'], // 0.5 × 0.8 + 0.2 = 0.6
    [3, 100, 'MEDIUM'], // 0.55
    [3, 0, 'MEDIUM'], // 0.35
    [4, 0, 'LOW'], // 0.30
  ] as const)('%d of 10 correct at load %d is %s', (correct, loadScore, level) => {
    const events = reviewsAt('x', Array.from({ length: 10 }, (_, i) => i < correct), 0);
    const h = digestOf(events);
    expect(rankedPredictions(h.objectives, loadScore, NOW)[0]!.riskLevel).toBe(level);
  });
});

describe('5.7 interventions', () => {
  const load = (level: CognitiveLoad['level'], loadScore = 50): CognitiveLoad => ({
    loadScore, level, components: { studyMinutes24h: 0, errorRate: 0, responseSlowdown: 0, stress: 0 }, history: [], burnoutRisk: false,
  });
  const prediction = (objectiveId: string, p: number, days: number): Prediction => ({
    objectiveId, recentAccuracy: 0, daysSinceLastPractice: days, struggleProbability: p, riskLevel: p >= 0.6 ? 'HIGH' : p >= 0.35 ? 'MEDIUM' : 'LOW',
  });
  const noPatterns = studyPatterns([], NOW);

  it('turns the first 5 HIGH predictions into boosts or prerequisite reviews with round-half-up priorities', () => {
    const ranked = [prediction('a', 0.95, 8), prediction('b', 0.85, 7), prediction('c', 0.8, 1), prediction('d', 0.7, 1), prediction('e', 0.65, 30), prediction('f', 0.61, 1), prediction('g', 0.5, 1)];
    const list = interventions(ranked, load('LOW', 10), noPatterns).interventions;
    expect(list.map((i) => [i.type, i.priority, i.objectiveId])).toEqual([
      ['SPACED_REPETITION_BOOST', 10, 'a'],
      ['PREREQUISITE_REVIEW', 9, 'b'], // 8.5 → 9; 7 days is not > 7
      ['PREREQUISITE_REVIEW', 8, 'c'],
      ['PREREQUISITE_REVIEW', 7, 'd'],
      ['SPACED_REPETITION_BOOST', 7, 'e'], // 6.5 → 7; sorted by type after priority
    ]);
    expect(list.every((i) => i.reason.length > 0 && i.suggestedHours === null)).toBe(true);
  });

  it('adds break scheduling (9, CRITICAL 10), shorter sessions, and a schedule shift; orders priority, type, objectiveId (null first)', () => {
    const at = (d: number, h: number) => new Date(Date.UTC(2026, 10, 24 - d, h));
    const sessions = [
      ...[1, 2, 3, 4].map((d) => session(at(d, 22), 90, 10, 2)), // busiest hour 22, poor accuracy
      ...[1, 2, 3].map((d) => session(at(d, 8), 90, 10, 9)),
    ];
    const patterns: StudyPatterns = studyPatterns(sessions, NOW);
    expect(patterns.optimalStudyHours).toEqual([8, 22]);
    const withShift = { ...patterns, optimalStudyHours: [8] };
    const list = interventions([prediction('z', 0.9, 1)], load('CRITICAL', 85), withShift).interventions;
    expect(list.map((i) => [i.type, i.priority, i.objectiveId])).toEqual([
      ['BREAK_SCHEDULING', 10, null],
      ['PREREQUISITE_REVIEW', 9, 'z'],
      ['REDUCE_SESSION_LENGTH', 6, null],
      ['SCHEDULE_SHIFT', 5, null],
    ]);
    expect(list.at(-1)!.suggestedHours).toEqual([8]);
    expect(interventions([], load('HIGH', 70), patterns).interventions.map((i) => [i.type, i.priority])).toEqual([['BREAK_SCHEDULING', 9], ['REDUCE_SESSION_LENGTH', 6]]);
    expect(interventions([], load('LOW', 10), patterns).interventions).toEqual([]);
  });
});

describe('5.8 struggle-reduction', () => {
  const applied = (at: Date, objectiveId: string | null, interventionType = 'SPACED_REPETITION_BOOST') =>
    event('intervention_applied', at, { objectiveId, interventionType });
  /** SPEC 5.8 over these interventions and reviews, through the digest that counts the reviews around each intervention. */
  const reduction = (interventionEvents: EventRow[], reviews: EventRow[], period: '7d' | '90d') => {
    const digest = digestOf([...interventionEvents, ...reviews]);
    return struggleReduction(digest.events, digest.interventionEffects, period, NOW);
  };

  it('compares the incorrect share in the 14 days before and after, with ≥ 3 reviews each side', () => {
    const t = ago(20 * DAY);
    const at = (offsetDays: number) => new Date(t.getTime() + offsetDays * DAY);
    const reviews = [
      review('o', at(-14), false), // exactly 14 d before: out
      review('o', at(-3), false), review('o', at(-2), false), review('o', at(-1), true), review('o', at(-1), false),
      review('o', at(0), false), // at t: out
      review('o', at(1), true), review('o', at(2), true), review('o', at(3), false), review('o', at(14), false), // 14 d after: out
    ];
    const events = [applied(t, 'o'), applied(ago(10 * DAY), 'o', 'BREAK_SCHEDULING'), applied(ago(5 * DAY), null)];
    const result = reduction(events, reviews, '90d');
    expect(result.interventions).toEqual([
      { eventId: events[0]!.eventId, interventionType: 'SPACED_REPETITION_BOOST', objectiveId: 'o', appliedAt: t.toISOString(), before: 0.75, after: 1 / 3 },
    ]);
    expect(result.overall.count).toBe(1);
    expect(result.overall.reductionPercent).toBeCloseTo(((0.75 - 1 / 3) / 0.75) * 100, 10);
    expect(result.byType.BREAK_SCHEDULING).toEqual({ count: 0, before: null, after: null, reductionPercent: null });
    expect(reduction(events, reviews, '7d').overall.count).toBe(0);
  });

  it('ignores after-reviews later than now and gives a null reduction when before is 0', () => {
    const t = ago(2 * DAY);
    const reviews = [
      ...[1, 2, 3].map((d) => review('o', new Date(t.getTime() - d * HOUR), true)),
      ...[1, 2].map((d) => review('o', new Date(t.getTime() + d * HOUR), false)),
      review('o', new Date(NOW.getTime() + HOUR), false),
    ];
    expect(reduction([applied(t, 'o')], reviews, '7d').overall.count).toBe(0);
    const more = [...reviews, review('o', new Date(t.getTime() + 3 * HOUR), false)];
    expect(reduction([applied(t, 'o')], more, '7d').overall).toEqual({ count: 1, before: 0, after: 1, reductionPercent: null });
  });
});

describe('computeUserAggregates', () => {
  it('gives every stored (aggregate, period) for an unknown user, matching the response schemas', () => {
    const result = computeUserAggregates(emptyDigest('nobody', NOW));
    expect(result.entries).toHaveLength(15);
    for (const entry of result.entries) expect(() => AGGREGATES[entry.aggregate].schema.parse(entry.data)).not.toThrow();
    expect(result.loadSnapshot).toEqual({ day: '2026-11-24', loadScore: 0, level: 'LOW' });
  });

  it('builds the dashboard from the other aggregates of the same computation, matching the schemas', () => {
    const events = [
      ...reviewsAt('a', [false, false, false, false], 10 * DAY),
      event('mission_completed', ago(2 * DAY), { missionId: 'm', successScore: 0.8, durationMs: 30 * MIN }),
      event('content_viewed', ago(1 * DAY), { contentType: 'video', durationMs: 90_000 }),
      event('content_viewed', ago(8 * DAY), { contentType: 'video', durationMs: 90_000 }),
      event('search_performed', ago(1 * HOUR)),
      event('self_report', ago(1 * HOUR), { stress: 5 }),
    ];
    const sessions = [session(ago(2 * HOUR), 45, 20, 5), session(new Date('2026-11-18T10:00:00Z'), 30), session(new Date('2026-11-17T23:00:00Z'), 30)];
    const digest = digestOf(events, sessions, { totals: { events: 9, sessions: 3, lastActivityAt: ago(HOUR) } });
    const result = computeUserAggregates(digest);
    for (const entry of result.entries) expect(() => AGGREGATES[entry.aggregate].schema.parse(entry.data)).not.toThrow();
    const data = (name: string, period = '-') => result.entries.find((e) => e.aggregate === name && e.period === period)!.data as any;
    const dash = data('behavioral-insights/dashboard');
    expect(dash.missions).toEqual(data('missions/summary', '7d'));
    expect(dash.cognitiveLoad.loadScore).toBe(data('cognitive-load/current').loadScore);
    expect(dash.predictions).toEqual(data('predictions').predictions.slice(0, 3));
    expect(dash.studyMinutesByDay).toEqual([
      { day: '2026-11-18', minutes: 30 }, { day: '2026-11-19', minutes: 0 }, { day: '2026-11-20', minutes: 0 }, { day: '2026-11-21', minutes: 0 },
      { day: '2026-11-22', minutes: 0 }, { day: '2026-11-23', minutes: 0 }, { day: '2026-11-24', minutes: 45 },
    ]);
    expect(dash.engagement).toEqual({ contentMinutesByType: { article: 0, video: 1.5, card: 0, question: 0 }, searches: 1 });
    expect(dash.totals).toEqual({ sessions: 3, events: 9, lastActivityAt: ago(HOUR).toISOString() });
  });
});
