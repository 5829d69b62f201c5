import { addDays, DAY_MS, utcDay } from '../aggregates/math';

/**
 * How the digest loader covers the 90- and 30-day windows (now − w, now] with rollups:
 *
 *   raw rows   (now − w, end of its day)              the window's partial first day
 *   days       (that day, its first full ISO week)     card_review_days
 *   weeks      [first full week, the week of today)   card_review_weeks
 *   days       [the week of today, today)              card_review_days
 *   raw rows   [start of today, now]                   today, still changing
 *
 * Both windows end at now, so they share the weeks from the 30 days' first full week on
 * and everything after; what lies between the two first full weeks counts for the 90 days
 * as weeks and for the 30 days as days. Days are UTC, weeks start on Monday (ISO, as
 * PostgreSQL's date_trunc('week')). Dates are YYYY-MM-DD.
 */
export interface WindowPieces {
  /** The UTC day of now − 90 d, of now − 30 d, and of now. */
  day90: string;
  day30: string;
  today: string;
  /** The start of the day after day90 / day30: where each window's raw first day ends. */
  days90End: Date;
  days30End: Date;
  todayStart: Date;
  /** The first Monday after day90 / day30: each window's first full week. */
  firstWeek90: string;
  firstWeek30: string;
  /** The Monday of today's week: the full weeks end before it. */
  weeksEnd: string;
}

const startOf = (day: string) => new Date(`${day}T00:00:00.000Z`);

/** The Monday on or after `day`. */
export function mondayOnOrAfter(day: string): string {
  const weekday = startOf(day).getUTCDay(); // 0 = Sunday
  return addDays(day, (8 - weekday) % 7);
}

/** The Monday on or before `day`. */
export function mondayOnOrBefore(day: string): string {
  const weekday = startOf(day).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

export function windowPieces(now: Date): WindowPieces {
  const today = utcDay(now);
  const day90 = utcDay(new Date(now.getTime() - 90 * DAY_MS));
  const day30 = utcDay(new Date(now.getTime() - 30 * DAY_MS));
  return {
    day90,
    day30,
    today,
    days90End: startOf(addDays(day90, 1)),
    days30End: startOf(addDays(day30, 1)),
    todayStart: startOf(today),
    firstWeek90: mondayOnOrAfter(addDays(day90, 1)),
    firstWeek30: mondayOnOrAfter(addDays(day30, 1)),
    weeksEnd: mondayOnOrBefore(today),
  };
}
