import { z } from 'zod';
import { AGGREGATE_NAMES, AGGREGATES, GENERATED_AGGREGATE, type AggregateDefinition, type AggregateName } from '@shared/aggregates/registry';
import { generatePredictionsRequestBodySchema, PERIODS } from '@shared/contracts/analytics-query';
import { acceptedResponseSchema, eventsBodySchema, sessionsBodySchema } from '@shared/contracts/batch';
import { ID_PATTERN } from '@shared/contracts/ids';
import { RECENT_USERS_DEFAULT_LIMIT, RECENT_USERS_MAX_LIMIT, recentUsersResponseSchema } from '@shared/contracts/recent-users';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests and
 * shape responses, so the documentation cannot drift from the code.
 */
type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const metaSchema: JsonSchema = {
  type: 'object',
  required: ['userId', 'computedAt', 'cache'],
  properties: {
    userId: { type: 'string' },
    computedAt: { type: 'string', format: 'date-time' },
    cache: { type: 'string', enum: ['l1', 'l2', 'db', 'compute'] },
  },
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const COMMON_ERRORS = { '400': errorResponse('Invalid input'), '401': errorResponse('Missing or unknown API key'), '403': errorResponse('Wrong role'), '503': errorResponse('A dependency is down') };
const ANALYTICS_ERRORS = {
  ...COMMON_ERRORS,
  '401': errorResponse('Missing or unknown API key; an invalid, expired or wrongly signed user token'),
  '403': errorResponse('Wrong role; a user token naming another user'),
  '503': errorResponse("A dependency is down (also the study app's JWKS)"),
};

/**
 * Two bearer schemes share the Authorization header: API keys of services (SPEC 2), and the
 * user tokens a dashboard in a browser carries (SPEC 4.1), accepted on the analytics routes only.
 */
const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS (roles read, ingest, admin): for services, never for a browser.' },
  userToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      "A token the study app issued for one student (HS256 with AUTH_JWT_SECRET, or RS256/ES256 from AUTH_JWKS_URL; exp required; iss/aud checked when configured). Its sub is the user id: it reads that user's analytics only, and only on the analytics routes.",
  },
  basic: { type: 'http', scheme: 'basic', description: 'Bull Board in a browser: any user name, the admin key as password.' },
};
const ANALYTICS_SECURITY = [{ bearer: [] }, { userToken: [] }];

/** The groups /docs shows the operations in, in this order. */
const TAGS = [
  { name: 'analytics', description: 'Precomputed aggregates of one user (SPEC 4, 5): a read key, or a user token for its own user' },
  { name: 'users', description: 'Who to look at: the users with the latest activity (a read key)' },
  { name: 'ingest', description: 'Events and sessions in (the study app): an ingest key' },
  { name: 'operations', description: 'Health, metrics, cache statistics, Bull Board, this document' },
  { name: 'pages', description: 'HTML for people: the start page, this reference, the demo dashboard' },
];

function aggregateResponse(name: AggregateName) {
  return {
    description: 'The aggregate, with the cache tier that served it (also in X-Cache)',
    headers: { 'X-Cache': { schema: { type: 'string', enum: ['l1', 'l2', 'db', 'compute'] } } },
    content: {
      'application/json': {
        schema: { type: 'object', required: ['data', 'meta'], properties: { data: jsonSchema(AGGREGATES[name].schema, 'output'), meta: metaSchema } },
      },
    },
  };
}

export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, unknown> = {};
  for (const name of AGGREGATE_NAMES) {
    const { summary, defaultPeriod: period } = AGGREGATES[name] as AggregateDefinition;
    paths[`/api/analytics/${name}`] = {
      get: {
        operationId: `get-${name.replace(/\//g, '-')}`,
        tags: ['analytics'],
        summary,
        security: ANALYTICS_SECURITY,
        parameters: [
          {
            name: 'userId',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: ID_PATTERN.source },
            description: "Required with an API key. With a user token it may be left out (the token's sub); any other user gives 403.",
          },
          {
            name: 'period',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: [...PERIODS] },
            description: period ? `Default ${period}` : 'Accepted and ignored: this aggregate has no period',
          },
        ],
        responses: { '200': aggregateResponse(name), ...ANALYTICS_ERRORS },
      },
    };
  }
  paths['/api/analytics/predictions/generate'] = {
    post: {
      operationId: 'generate-predictions',
      tags: ['analytics'],
      summary: 'Recompute a user now (ahead of the debounce) and return fresh predictions; waits up to 10 s',
      description: "userId is required with an API key; a user token may leave it out (the token's sub) and may name no other user.",
      security: ANALYTICS_SECURITY,
      requestBody: { required: false, content: { 'application/json': { schema: jsonSchema(generatePredictionsRequestBodySchema, 'input') } } },
      responses: { '200': aggregateResponse(GENERATED_AGGREGATE), '504': errorResponse('Not finished within 10 s'), ...ANALYTICS_ERRORS },
    },
  };
  const ingest = (field: string, schema: z.ZodType) => ({
    post: {
      operationId: `ingest-${field}`,
      tags: ['ingest'],
      summary: `Enqueue up to 1,000 ${field}, all or nothing; 202 once durably enqueued`,
      security: [{ bearer: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(schema, 'input') } } },
      responses: {
        '202': { description: 'Accepted', content: { 'application/json': { schema: jsonSchema(acceptedResponseSchema, 'output') } } },
        '413': errorResponse('Body over 1 MiB'),
        '429': errorResponse('Rate limited'),
        ...COMMON_ERRORS,
      },
    },
  });
  paths['/api/events'] = ingest('events', eventsBodySchema);
  paths['/api/sessions'] = ingest('sessions', sessionsBodySchema);
  paths['/api/users/recent'] = {
    get: {
      operationId: 'recent-users',
      tags: ['users'],
      summary: 'The users with the latest activity, latest first (a picker of students: the demo dashboard)',
      description: "lastActivityAt is the user's latest event occurredAt or session endedAt. A user token gets 403: a student may not list the others.",
      security: [{ bearer: [] }],
      parameters: [
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: RECENT_USERS_MAX_LIMIT, default: RECENT_USERS_DEFAULT_LIMIT },
          description: `How many users (default ${RECENT_USERS_DEFAULT_LIMIT}, at most ${RECENT_USERS_MAX_LIMIT})`,
        },
      ],
      responses: { '200': { description: 'The users', content: { 'application/json': { schema: jsonSchema(recentUsersResponseSchema, 'output') } } }, ...COMMON_ERRORS },
    },
  };
  const operation = (operationId: string, summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    get: { operationId, tags: ['operations'], summary, ...extra, responses },
  });
  paths['/api/admin/cache/stats'] = operation('cache-stats', 'Cache statistics (origin report shape)', { '200': { description: 'Statistics' }, '401': errorResponse('Missing key'), '403': errorResponse('Wrong role') }, { security: [{ bearer: [] }] });
  paths['/health/live'] = operation('live', 'The process runs', { '200': { description: 'Alive' } });
  paths['/health/ready'] = operation('ready', 'Redis, PostgreSQL and queues, each reported', { '200': { description: 'Ready' }, '503': { description: 'A dependency is down' } });
  paths['/metrics'] = operation('metrics', 'Prometheus metrics (text format)', { '200': { description: 'Metrics' } });
  paths['/api/openapi.json'] = operation('openapi', 'This document', { '200': { description: 'OpenAPI 3.1' } });
  paths['/admin/queues'] = operation('bull-board', 'Bull Board (admin key as Bearer, or as the password of HTTP basic auth)', { '200': { description: 'HTML' } }, { security: [{ bearer: [] }, { basic: [] }] });
  const page = (operationId: string, summary: string) => ({ get: { operationId, tags: ['pages'], summary, responses: { '200': { description: 'HTML', content: { 'text/html': {} } } } } });
  paths['/'] = page('start-page', 'The start page: mode, health, queue depth, links and commands to try it (no data, no secrets; START_PAGE=false turns it off)');
  paths['/docs'] = page('api-reference', 'This document, interactive (Swagger UI, served by the API itself)');
  paths['/demo'] = page('demo-dashboard', "One student's aggregates as a dashboard shows them, calling the analytics routes with a key or token entered on the page");
  return {
    openapi: '3.1.0',
    info: { title: 'study analytics', version: '0.1.0', description: 'Precomputed study analytics for the dashboard, and the ingest routes of the study app.' },
    tags: TAGS,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
