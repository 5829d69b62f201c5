import express from 'express';
import request from 'supertest';
import { liveHandler } from './health-controller';

/** /health/live's prebuilt answer is what res.json({ status: 'ok' }) sends, header for header. */
describe('liveHandler', () => {
  const viaResJson = express().get('/live', (_req, res) => void res.json({ status: 'ok' }));
  const prebuilt = express().get('/live', liveHandler());
  const comparable = (res: request.Response) => ({
    status: res.status,
    text: res.text,
    headers: Object.entries(res.headers).filter(([name]) => !['date', 'x-powered-by', 'connection', 'keep-alive'].includes(name)),
  });

  it('answers the same body and headers (ETag included)', async () => {
    const [expected, actual] = await Promise.all([request(viaResJson).get('/live'), request(prebuilt).get('/live')]);
    expect(comparable(actual)).toEqual(comparable(expected));
    expect(actual.body).toEqual({ status: 'ok' });
  });

  it('answers a matching If-None-Match with the same 304, and HEAD without a body', async () => {
    const { etag } = (await request(viaResJson).get('/live')).headers as { etag: string };
    const [expected, actual] = await Promise.all([request(viaResJson).get('/live').set('If-None-Match', etag), request(prebuilt).get('/live').set('If-None-Match', etag)]);
    expect(comparable(actual)).toEqual(comparable(expected));
    expect(actual.status).toBe(304);
    const [headExpected, headActual] = await Promise.all([request(viaResJson).head('/live'), request(prebuilt).head('/live')]);
    expect(comparable(headActual)).toEqual(comparable(headExpected));
  });
});
