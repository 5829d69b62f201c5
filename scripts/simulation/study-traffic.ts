import { createStudent, liveSession, seededRandom, type Activity, type Random, type Student } from './study-app';

/**
 * The live traffic of a population of students: each call is one session that has just
 * ended, of a student picked by activity (a few students study a lot, most a little, as
 * in a real cohort). The population and the choices are fixed by the seed; ids and
 * timestamps come from the clock.
 */
export class StudyTraffic {
  private readonly random: Random;
  private readonly students: Student[];
  /** Cumulative activity weights, for picking a student in O(log n). */
  private readonly cumulative: number[];

  constructor(options: { seed: number; users: number; userPrefix?: string }) {
    this.random = seededRandom(options.seed);
    const width = String(options.users - 1).length;
    this.students = Array.from({ length: options.users }, (_, i) =>
      createStudent(this.random, `${options.userPrefix ?? 'sim-user'}-${String(i).padStart(width, '0')}`),
    );
    let total = 0;
    // Squared uniform draws: a skewed cohort, with a floor so nobody is silent.
    this.cumulative = this.students.map(() => (total += 0.05 + this.random() ** 2));
  }

  get userIds(): string[] {
    return this.students.map((s) => s.userId);
  }

  /** One finished session (its events and the session record) of a weighted-random student. */
  next(now: Date): Activity {
    return liveSession(this.random, this.pick(), now);
  }

  private pick(): Student {
    const target = this.random() * this.cumulative[this.cumulative.length - 1]!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulative[middle]! > target) high = middle;
      else low = middle + 1;
    }
    return this.students[low]!;
  }
}
