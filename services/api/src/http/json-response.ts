import type { ApiRequest, ApiResponse } from './every-request';

/** The Content-Type res.json sets. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Ends a response with JSON already serialized, with the headers res.json would set; a HEAD gets the headers only. */
export function endWithJson(req: ApiRequest, res: ApiResponse, bytes: Buffer): void {
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', bytes.length);
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}
