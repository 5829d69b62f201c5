import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * Every hot query the workers and the API run, EXPLAINed over a realistic table (240k
 * events, 2k users, 30k sessions): each must be served by its composite index, never by a
 * sequential scan of the big table.
 */
let db: TestDatabase;
let client: pg.Client;

const USERS = 2_000;
const EVENTS = 240_000;
const SESSIONS = 30_000;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`
    INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, objective_id, correct, response_ms, stress, intervention_type)
    SELECT 'e' || g,
           'u' || (g % ${USERS}),
           (ARRAY['card_reviewed','card_reviewed','card_reviewed','mission_started','mission_completed','mission_abandoned','self_report','intervention_applied','content_viewed','search_performed'])[1 + g % 10],
           now() - (g % 200000) * interval '1 minute',
           CASE WHEN g % 10 < 3 OR g % 10 = 7 THEN 'obj' || (g % 97) END,
           CASE WHEN g % 10 < 3 THEN g % 3 <> 0 END,
           CASE WHEN g % 10 < 3 THEN 1000 + g % 5000 END,
           CASE WHEN g % 10 = 6 THEN 1 + g % 5 END,
           CASE WHEN g % 10 = 7 THEN 'SPACED_REPETITION_BOOST' END
    FROM generate_series(1, ${EVENTS}) g`);
  await client.query(`
    INSERT INTO study_sessions (session_id, user_id, started_at, ended_at, cards_reviewed, correct_count)
    SELECT 's' || g, 'u' || (g % ${USERS}), now() - g * interval '5 minutes', now() - g * interval '5 minutes' + interval '30 minutes', 20, 15
    FROM generate_series(1, ${SESSIONS}) g`);
  await client.query(`INSERT INTO analytics_users (user_id, last_activity_at) SELECT 'u' || g, now() - (g % 200) * interval '1 day' FROM generate_series(0, ${USERS - 1}) g`);
  await client.query(`
    INSERT INTO cognitive_load_snapshots (user_id, day, load_score, level, computed_at)
    SELECT 'u' || (g % ${USERS}), current_date - (g / ${USERS}), 50, 'MODERATE', now() FROM generate_series(0, 60000) g`);
  await client.query(`
    INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at)
    SELECT 'u' || g, a, '-', '{}', now() FROM generate_series(0, ${USERS - 1}) g, unnest(ARRAY['patterns','objectives','predictions']) a`);
  await client.query('ANALYZE');
}, 120_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function planOf(sql: string, params: unknown[]): Promise<PlanNode[]> {
  const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  return nodes(rows[0]['QUERY PLAN'][0].Plan);
}

const since = (days: number) => new Date(Date.now() - days * 86_400_000);

const HOT_QUERIES: { name: string; table: string; index: string; sql: string; params: unknown[] }[] = [
  {
    name: 'events of a user and type in a window (missions, self reports, content, searches)',
    table: 'behavioral_events',
    index: 'behavioral_events_user_type_time_idx',
    sql: 'SELECT * FROM behavioral_events WHERE user_id = $1 AND type = $2 AND occurred_at > $3 AND occurred_at <= $4',
    params: ['u7', 'mission_completed', since(30), new Date()],
  },
  {
    name: 'every event of a user in the last 90 days',
    table: 'behavioral_events',
    index: 'behavioral_events_user_time_idx',
    sql: 'SELECT * FROM behavioral_events WHERE user_id = $1 AND occurred_at > $2 AND occurred_at <= $3',
    params: ['u7', since(90), new Date()],
  },
  {
    name: 'the 10 latest reviews of one objective',
    table: 'behavioral_events',
    index: 'behavioral_events_user_objective_time_idx',
    sql: `SELECT * FROM behavioral_events WHERE user_id = $1 AND objective_id = $2 AND type = 'card_reviewed' AND occurred_at <= $3
          ORDER BY occurred_at DESC, event_id DESC LIMIT 10`,
    params: ['u7', 'obj7', new Date()],
  },
  {
    name: 'the 10 latest reviews of each objective of a user (LATERAL)',
    table: 'behavioral_events',
    index: 'behavioral_events_user_objective_time_idx',
    sql: `SELECT r.* FROM unnest($2::text[]) AS o(objective_id)
          CROSS JOIN LATERAL (SELECT * FROM behavioral_events e WHERE e.user_id = $1 AND e.objective_id = o.objective_id
            AND e.type = 'card_reviewed' AND e.occurred_at <= $3 ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT 10) r`,
    params: ['u7', ['obj7', 'obj8', 'obj9'], new Date()],
  },
  {
    name: 'reviews of an objective around an intervention',
    table: 'behavioral_events',
    index: 'behavioral_events_user_objective_time_idx',
    sql: `SELECT * FROM behavioral_events WHERE user_id = $1 AND objective_id = $2 AND type = 'card_reviewed' AND occurred_at > $3 AND occurred_at < $4`,
    params: ['u7', 'obj7', since(60), since(32)],
  },
  {
    name: 'latest activity of a user',
    table: 'behavioral_events',
    index: 'behavioral_events_user_time_idx',
    sql: 'SELECT max(occurred_at) FROM behavioral_events WHERE user_id = $1',
    params: ['u7'],
  },
  {
    name: 'sessions of a user by start',
    table: 'study_sessions',
    index: 'study_sessions_user_started_idx',
    sql: 'SELECT * FROM study_sessions WHERE user_id = $1 AND started_at > $2 AND started_at <= $3',
    params: ['u7', since(90), new Date()],
  },
  {
    name: 'sessions of a user by end',
    table: 'study_sessions',
    index: 'study_sessions_user_ended_idx',
    sql: 'SELECT * FROM study_sessions WHERE user_id = $1 AND ended_at > $2 AND ended_at <= $3',
    params: ['u7', since(1), new Date()],
  },
  {
    name: 'one stored aggregate',
    table: 'aggregate_snapshots',
    index: 'aggregate_snapshots_pkey',
    sql: 'SELECT data, computed_at FROM aggregate_snapshots WHERE user_id = $1 AND aggregate = $2 AND period = $3',
    params: ['u7', 'patterns', '-'],
  },
  {
    name: 'users active since a time (nightly recompute, warming)',
    table: 'analytics_users',
    index: 'analytics_users_last_activity_idx',
    sql: 'SELECT user_id FROM analytics_users WHERE last_activity_at > $1',
    params: [since(3)],
  },
  {
    name: 'load snapshots of a user for 14 days',
    table: 'cognitive_load_snapshots',
    index: 'cognitive_load_snapshots_pkey',
    sql: 'SELECT day, load_score FROM cognitive_load_snapshots WHERE user_id = $1 AND day > $2 ORDER BY day',
    params: ['u7', since(14)],
  },
  {
    name: 'retention of old load snapshots',
    table: 'cognitive_load_snapshots',
    index: 'cognitive_load_snapshots_day_idx',
    sql: 'DELETE FROM cognitive_load_snapshots WHERE day < $1',
    params: [since(25)],
  },
];

describe('hot queries use their index', () => {
  it('has at least 200k events to plan against', async () => {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM behavioral_events');
    expect(rows[0].n).toBeGreaterThanOrEqual(200_000);
  });

  it.each(HOT_QUERIES)('$name → $index', async ({ sql, params, table, index }) => {
    const plan = await planOf(sql, params);
    const onTable = plan.filter((node) => node['Relation Name'] === table);
    expect(onTable.length).toBeGreaterThan(0);
    expect(onTable.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(plan.map((node) => node['Index Name']).filter(Boolean)).toContain(index);
  });
});
