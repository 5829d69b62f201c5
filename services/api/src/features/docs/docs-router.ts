import { join } from 'node:path';
import type { Router } from 'express';
import { PAGE_POLICIES, pageHeaders } from '../web/page-policy';
import { packageFile, staticAssetsRouter, type StaticAsset } from '../web/static-assets';

const PUBLIC = join(__dirname, 'public');

/** Swagger UI's files, from the swagger-ui-dist package (a dependency of the API). */
const SWAGGER_UI_ASSETS: StaticAsset[] = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'].map((file) => ({
  path: `/assets/swagger-ui/${file}`,
  file: packageFile('swagger-ui-dist', file),
}));

/**
 * GET /docs: the interactive API reference — Swagger UI (swagger-ui-dist) rendering
 * `GET /api/openapi.json`, the document generated from the zod schemas, with "Try it out"
 * against this very API (a key goes in through its Authorize button). Everything it loads is
 * served here: it works on a machine without internet.
 */
export function docsRouter(): Router {
  return staticAssetsRouter([
    { path: '/docs', file: join(PUBLIC, 'index.html'), headers: pageHeaders(PAGE_POLICIES.docs) },
    { path: '/docs/docs.js', file: join(PUBLIC, 'docs.js') },
    { path: '/docs/docs.css', file: join(PUBLIC, 'docs.css') },
    ...SWAGGER_UI_ASSETS,
  ]);
}
