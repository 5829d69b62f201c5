import { z } from 'zod';
import { AGGREGATE_DATA_SCHEMAS } from '@shared/aggregates/aggregate-schemas';
import { AGGREGATE_NAMES, DEFAULT_PERIOD, generatePredictionsBodySchema, PERIODS } from '@shared/contracts/analytics-query';
import { acceptedResponseSchema, eventsBodySchema, sessionsBodySchema } from '@shared/contracts/batch';
import { ID_PATTERN } from '@shared/contracts/ids';

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

function aggregateResponse(name: (typeof AGGREGATE_NAMES)[number]) {
  return {
    description: 'The aggregate, with the cache tier that served it (also in X-Cache)',
    headers: { 'X-Cache': { schema: { type: 'string', enum: ['l1', 'l2', 'db', 'compute'] } } },
    content: {
      'application/json': {
        schema: { type: 'object', required: ['data', 'meta'], properties: { data: jsonSchema(AGGREGATE_DATA_SCHEMAS[name], 'output'), meta: metaSchema } },
      },
    },
  };
}

export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, unknown> = {};
  for (const name of AGGREGATE_NAMES) {
    const period = DEFAULT_PERIOD[name];
    paths[`/api/analytics/${name}`] = {
      get: {
        operationId: `get-${name.replace(/\//g, '-')}`,
        summary: `The ${name} aggregate of a user (SPEC 5)`,
        security: [{ bearer: [] }],
        parameters: [
          { name: 'userId', in: 'query', required: true, schema: { type: 'string', pattern: ID_PATTERN.source } },
          {
            name: 'period',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: [...PERIODS] },
            description: period ? `Default ${period}` : 'Accepted and ignored: this aggregate has no period',
          },
        ],
        responses: { '200': aggregateResponse(name), ...COMMON_ERRORS },
      },
    };
  }
  paths['/api/analytics/predictions/generate'] = {
    post: {
      operationId: 'generate-predictions',
      summary: 'Recompute a user now (ahead of the debounce) and return fresh predictions; waits up to 10 s',
      security: [{ bearer: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(generatePredictionsBodySchema, 'input') } } },
      responses: { '200': aggregateResponse('predictions'), '504': errorResponse('Not finished within 10 s'), ...COMMON_ERRORS },
    },
  };
  const ingest = (field: string, schema: z.ZodType) => ({
    post: {
      operationId: `ingest-${field}`,
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
  paths['/api/admin/cache/stats'] = {
    get: { operationId: 'cache-stats', summary: 'Cache statistics (origin report shape)', security: [{ bearer: [] }], responses: { '200': { description: 'Statistics' }, '401': errorResponse('Missing key'), '403': errorResponse('Wrong role') } },
  };
  paths['/health/live'] = { get: { operationId: 'live', summary: 'The process runs', responses: { '200': { description: 'Alive' } } } };
  paths['/health/ready'] = { get: { operationId: 'ready', summary: 'Redis, PostgreSQL and queues, each reported', responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency is down' } } } };
  paths['/metrics'] = { get: { operationId: 'metrics', summary: 'Prometheus metrics (text format)', responses: { '200': { description: 'Metrics' } } } };
  paths['/api/openapi.json'] = { get: { operationId: 'openapi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } };
  paths['/admin/queues'] = {
    get: { operationId: 'bull-board', summary: 'Bull Board (admin key as Bearer, or as the password of HTTP basic auth)', security: [{ bearer: [] }, { basic: [] }], responses: { '200': { description: 'HTML' } } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'study analytics', version: '0.1.0', description: 'Precomputed study analytics for the dashboard, and the ingest routes of the study app.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
