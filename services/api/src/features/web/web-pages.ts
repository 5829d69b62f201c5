import { join } from 'node:path';
import { Router } from 'express';
import { demoRouter } from '../demo/demo-router';
import { docsRouter } from '../docs/docs-router';
import { startPageRouter, type StartPageDeps } from '../start/start-page';
import { staticAssetsRouter } from './static-assets';

/**
 * The pages for people, beside the JSON API: the start page at `/` (unless START_PAGE=false),
 * the API reference at `/docs`, the demo dashboard at `/demo`, and the files they load under
 * `/assets/` — all served by this process, none needing a key to load (the demo's calls carry
 * the credential entered on it).
 */
export function webPages(deps: StartPageDeps & { startPage: boolean }): Router {
  const router = Router();
  if (deps.startPage) router.use(startPageRouter(deps));
  router.use(staticAssetsRouter([{ path: '/assets/site.css', file: join(__dirname, 'public', 'site.css') }]));
  router.use(docsRouter());
  router.use(demoRouter());
  return router;
}
