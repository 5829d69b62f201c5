import { join } from 'node:path';
import type { Router } from 'express';
import { PAGE_POLICIES, pageHeaders } from '../web/page-policy';
import { packageFile, staticAssetsRouter, type StaticAsset } from '../web/static-assets';

const PUBLIC = join(__dirname, 'public');

/**
 * The browser builds of Vega, Vega-Lite and vega-embed (dependencies of the API): UMD files
 * that define `vega`, `vegaLite` and `vegaEmbed`, loaded by plain script tags, so the page
 * needs no build step. vega-embed 6 is the line that draws with Vega 5 (7 needs Vega 6).
 */
const VEGA_ASSETS: StaticAsset[] = [
  { path: '/assets/vega/vega.min.js', file: packageFile('vega', 'build/vega.min.js') },
  { path: '/assets/vega-lite/vega-lite.min.js', file: packageFile('vega-lite', 'build/vega-lite.min.js') },
  { path: '/assets/vega-embed/vega-embed.min.js', file: packageFile('vega-embed', 'build/vega-embed.min.js') },
];

/**
 * GET /demo: the demo dashboard, one static page (HTML, a script, a stylesheet) that reads
 * one student's aggregates through the analytics routes with the key or token entered on
 * it, and lists recently active students through GET /api/users/recent. It holds no data
 * and no secret itself: the API decides what each credential may read.
 */
export function demoRouter(): Router {
  return staticAssetsRouter([
    { path: '/demo', file: join(PUBLIC, 'index.html'), headers: pageHeaders(PAGE_POLICIES.demo) },
    { path: '/demo/demo.js', file: join(PUBLIC, 'demo.js') },
    { path: '/demo/demo.css', file: join(PUBLIC, 'demo.css') },
    ...VEGA_ASSETS,
  ]);
}
