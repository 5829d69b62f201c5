import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import { seededRandom, userActivity } from '../../scripts/simulation/study-app';

/** Realistic study-app traffic for integration tests, from the simulator (deterministic for a seed). */
export interface Traffic {
  events: BehavioralEvent[];
  sessions: SessionCompleted[];
}

/** Simulated study-app traffic of `users`, interleaved so that every slice of it touches every user. */
export function simulatedTraffic(users: string[], options: { days: number; seed: number; now?: Date }): Traffic {
  const random = seededRandom(options.seed);
  const now = options.now ?? new Date();
  const perUser = users.map((userId) => userActivity(random, userId, now, options.days));
  const interleave = <T>(lists: T[][]) => {
    const out: T[] = [];
    for (let i = 0; lists.some((list) => i < list.length); i += 1) for (const list of lists) if (i < list.length) out.push(list[i]!);
    return out;
  };
  return { events: interleave(perUser.map((a) => a.events)), sessions: interleave(perUser.map((a) => a.sessions)) };
}

export function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
