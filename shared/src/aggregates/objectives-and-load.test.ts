import { ago, DAY, digestOf, event, HOUR, MIN, NOW, review, session } from '../../../test/support/history-builder';
import { cognitiveLoad, loadLevel } from './cognitive-load';
import { objectivesMastery } from './objectives-mastery';
import { stressProfile } from './stress-profile';

const reviews = (objectiveId: string, pattern: boolean[], start = 1 * HOUR) =>
  pattern.map((correct, i) => review(objectiveId, ago(start + i * MIN), correct));

describe('5.3 objectives', () => {
  it('orders objectives by id in code-point order and computes mastery from the 10 latest reviews of any age', () => {
    const events = [
      ...reviews('b', Array(10).fill(true)), // MASTERED: recent 1.0, 10 attempts
      ...reviews('a', Array(9).fill(true)), // 9 attempts: PROFICIENT despite 1.0
      ...reviews('B', [true, true, true, false]), // 0.75 → PROFICIENT; 'B' < 'a' < 'b'
      ...reviews('c', [true, false]), // 0.5 → DEVELOPING
      ...reviews('d', [false, false, true]), // 0.33 → STRUGGLING
      ...reviews('e', [false]), // 0 → STRUGGLING
    ];
    const h = digestOf(events);
    const result = objectivesMastery(h.objectives);
    expect(result.objectives.map((o) => [o.objectiveId, o.masteryLevel])).toEqual([
      ['B', 'PROFICIENT'], ['a', 'PROFICIENT'], ['b', 'MASTERED'], ['c', 'DEVELOPING'], ['d', 'STRUGGLING'], ['e', 'STRUGGLING'],
    ]);
    expect(result.weaknesses.map((o) => o.objectiveId)).toEqual(['e', 'd']);
  });

  it('counts attempts over 90 days but recent accuracy over the 10 latest of any age, ties by eventId', () => {
    const old = Array.from({ length: 5 }, (_, i) => review('o', ago(100 * DAY + i * MIN), false));
    const recent = [review('o', ago(1 * DAY), true, 1000, 'x2'), review('o', ago(1 * DAY), false, 1000, 'x1')];
    const h = digestOf([...old, ...recent]);
    const [o] = objectivesMastery(h.objectives).objectives;
    expect(o).toMatchObject({ attempts: 2, correct: 1, accuracy: 0.5, lastPracticedAt: ago(1 * DAY).toISOString() });
    expect(o!.recentAccuracy).toBeCloseTo(1 / 7, 12);
    // with 10 recent reviews, the old ones no longer count; x1 vs x2 tie: x2 is the later
    const tenth = (laterCorrect: boolean) => {
      const h2 = digestOf([...old, ...reviews('o', Array(9).fill(true)), review('o', ago(2 * DAY), !laterCorrect, 1, 'z1'), review('o', ago(2 * DAY), laterCorrect, 1, 'z9')]);
      return objectivesMastery(h2.objectives).objectives[0]!.recentAccuracy;
    };
    expect(tenth(false)).toBe(0.9); // z9 is the later of the two: it is the 10th latest
    expect(tenth(true)).toBe(1);
  });

  it('sorts weaknesses by accuracy asc then id', () => {
    const h = digestOf([...reviews('z', [false, false]), ...reviews('y', [false, false]), ...reviews('x', [true, false, false])]);
    expect(objectivesMastery(h.objectives).weaknesses.map((w) => w.objectiveId)).toEqual(['y', 'z', 'x']);
  });
});

describe('5.4 cognitive-load/current', () => {
  it('is zero and LOW for nobody, with today in the history', () => {
    const load = cognitiveLoad(digestOf([]));
    expect(load).toEqual({
      loadScore: 0, level: 'LOW', components: { studyMinutes24h: 0, errorRate: 0, responseSlowdown: 0, stress: 0 },
      history: [{ day: '2026-11-24', loadScore: 0 }], burnoutRisk: false,
    });
  });

  it('weights the four terms exactly', () => {
    const sessions = [session(ago(3 * HOUR), 120, 10, 6)]; // 120 min in 24 h → m = 0.5; errorRate 0.4
    const events = [
      review('o', ago(1 * HOUR), true, 3000), // 24 h mean 3000
      review('o', ago(10 * DAY), true, 1000), // 30 d mean (3000+1000)/2 = 2000 → slowdown 0.5
      event('self_report', ago(2 * HOUR), { stress: 4, eventId: 'r1' }),
      event('self_report', ago(2 * HOUR), { stress: 5, eventId: 'r2' }), // same time, later id wins → (5−1)/4 = 1
      event('self_report', ago(25 * HOUR), { stress: 1 }),
    ];
    const load = cognitiveLoad(digestOf(events, sessions));
    expect(load.components).toEqual({ studyMinutes24h: 120, errorRate: expect.closeTo(0.4, 12), responseSlowdown: 0.5, stress: 1 });
    expect(load.loadScore).toBeCloseTo(100 * (0.4 * 0.5 + 0.3 * 0.4 + 0.2 * 0.5 + 0.1 * 1), 10);
    expect(load.level).toBe('MODERATE');
  });

  it('counts full lengths of sessions ending in the last 24 h, caps m at 1, and uses the 5 latest sessions of 7 days', () => {
    const sessions = [
      session(ago(30 * HOUR), 400, 0, 0), // ends 23h20m ago: all 400 minutes count
      ...[1, 2, 3, 4, 5].map((i) => session(ago(i * DAY - 1), 10, 10, 10)), // 5 latest: perfect
      session(ago(6 * DAY), 10, 10, 0), // 6th latest: ignored
    ];
    const load = cognitiveLoad(digestOf([], sessions));
    expect(load.components.studyMinutes24h).toBe(400 + 10);
    expect(load.components.errorRate).toBe(0);
    expect(load.loadScore).toBeCloseTo(40, 10);
    expect(load.level).toBe('MODERATE');
  });

  it('includes sessions without cards in the 5 latest and gives 0 when Σcards is 0', () => {
    const sessions = [session(ago(1 * DAY), 10, 0, 0), ...[2, 3, 4, 5].map((d) => session(ago(d * DAY), 10, 0, 0)), session(ago(6 * DAY), 10, 10, 0)];
    expect(cognitiveLoad(digestOf([], sessions)).components.errorRate).toBe(0);
  });

  it('clamps the slowdown to [0, 1] and gives 0 without reviews in 24 h', () => {
    const faster = [review('o', ago(HOUR), true, 500), review('o', ago(5 * DAY), true, 1500)];
    expect(cognitiveLoad(digestOf(faster)).components.responseSlowdown).toBe(0);
    const much = [review('o', ago(HOUR), true, 100000), ...[5, 6, 7].map((d) => review('o', ago(d * DAY), true, 1))];
    expect(cognitiveLoad(digestOf(much)).components.responseSlowdown).toBe(1);
    expect(cognitiveLoad(digestOf([review('o', ago(2 * DAY), true, 5)])).components.responseSlowdown).toBe(0);
  });

  it.each([[39.999, 'LOW'], [40, 'MODERATE'], [59.9, 'MODERATE'], [60, 'HIGH'], [79.99, 'HIGH'], [80, 'CRITICAL']] as const)('level of %d is %s', (score, level) => {
    expect(loadLevel(score)).toBe(level);
  });

  it('replaces today’s stored snapshot, keeps 14 UTC days oldest first, and flags burnout over the last 7 days ≥ 70', () => {
    const stored = [
      { day: '2026-11-24', loadScore: 99 }, // replaced
      { day: '2026-11-10', loadScore: 50 }, // 14 days before: out
      { day: '2026-11-11', loadScore: 90 },
      ...['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'].map((day) => ({ day, loadScore: 82 })),
    ];
    const load = cognitiveLoad(digestOf([], [], { storedLoadSnapshots: stored }));
    expect(load.history.map((h) => h.day)).toEqual(['2026-11-11', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']);
    expect(load.history.at(-1)).toEqual({ day: '2026-11-24', loadScore: 0 });
    expect(load.burnoutRisk).toBe(true); // (6 × 82 + 0) / 7 = 70.29
    const lower = stored.map((s) => (s.loadScore === 82 ? { ...s, loadScore: 81 } : s));
    expect(cognitiveLoad(digestOf([], [], { storedLoadSnapshots: lower })).burnoutRisk).toBe(false); // 69.4
  });
});

describe('5.5 stress-profile', () => {
  const report = (at: Date, stress: number) => event('self_report', at, { stress });

  it('has the full shape for nobody', () => {
    const h = digestOf([]);
    const profile = stressProfile(h.events, h.objectives, cognitiveLoad(h), NOW);
    expect(profile).toMatchObject({ reports: 0, avgStress: null, trend: 'INSUFFICIENT_DATA', trendDelta: null, triggers: [], burnoutRisk: false });
    expect(profile.stressByHourOfDay).toHaveLength(24);
  });

  it('averages by hour and computes the week-over-week trend at ±0.5', () => {
    const events = [report(new Date('2026-11-24T09:15:00Z'), 4), report(new Date('2026-11-20T09:00:00Z'), 3), report(ago(10 * DAY), 3), report(ago(31 * DAY), 5)];
    const h = digestOf(events);
    const profile = stressProfile(h.events, h.objectives, cognitiveLoad(h), NOW);
    expect(profile.reports).toBe(3);
    expect(profile.avgStress).toBeCloseTo(10 / 3, 12);
    expect(profile.stressByHourOfDay[9]).toEqual({ hour: 9, reports: 2, avgStress: 3.5 });
    expect(profile).toMatchObject({ trend: 'RISING', trendDelta: 0.5 });
    const falling = digestOf([report(ago(1 * DAY), 2), report(ago(8 * DAY), 2.5 + 0.0)]);
    expect(stressProfile(falling.events, falling.objectives, cognitiveLoad(falling), NOW).trend).toBe('FALLING');
    const stable = digestOf([report(ago(1 * DAY), 3), report(ago(7 * DAY), 3.4 > 3 ? 3 : 3)]);
    expect(stressProfile(stable.events, stable.objectives, cognitiveLoad(stable), NOW).trend).toBe('STABLE');
  });

  it('puts a report exactly 7 days old in the earlier week', () => {
    const h = digestOf([report(ago(7 * DAY), 5)]);
    expect(stressProfile(h.events, h.objectives, cognitiveLoad(h), NOW).trend).toBe('INSUFFICIENT_DATA');
    const both = digestOf([report(ago(7 * DAY), 5), report(ago(1 * DAY), 4)]);
    expect(stressProfile(both.events, both.objectives, cognitiveLoad(both), NOW)).toMatchObject({ trend: 'FALLING', trendDelta: -1 });
  });

  it('lists up to 3 triggers with ≥ 5 reviews in 30 days, by accuracy asc then id', () => {
    const events = [
      ...reviews('q', [false, false, true, true, true]),
      ...reviews('p', [false, false, true, true, true]),
      ...reviews('r', [false, false, false, false, true]),
      ...reviews('s', [true, true, true, true, true]),
      ...reviews('t', [false, false, false, false]), // only 4
      ...reviews('u', [false, false, false, false, false], 31 * DAY), // too old
    ];
    const h = digestOf(events);
    expect(stressProfile(h.events, h.objectives, cognitiveLoad(h), NOW).triggers).toEqual([
      { objectiveId: 'r', reviews: 5, accuracy: 0.2 },
      { objectiveId: 'p', reviews: 5, accuracy: 0.6 },
      { objectiveId: 'q', reviews: 5, accuracy: 0.6 },
    ]);
  });
});
