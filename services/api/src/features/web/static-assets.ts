import { statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Router, type Response } from 'express';

/**
 * The files the HTML pages load (scripts, styles), served by this process from
 * node_modules and from the pages' own folders: no CDN, so the pages work on a machine
 * without internet. Only the files listed are served, each as a route of its own (so the
 * request metrics label each by its path, and nothing else of node_modules is reachable).
 * A listed file that is missing stops the start, not a browser later.
 */
export interface StaticAsset {
  /** The URL path, e.g. `/assets/vega/vega.min.js`. */
  path: string;
  /** The absolute path of the file. */
  file: string;
  /** Headers of its own (an HTML page's Content-Security-Policy). */
  headers?: Record<string, string>;
}

/** The folder of an installed package (the API's own dependency): `…/node_modules/<name>` on the path of its entry point. */
export function packageRoot(name: string): string {
  // Not `require.resolve('<name>/package.json')`: a package with an `exports` map (vega-embed)
  // does not export it; and not the nearest package.json either: vega-lite has one in build/.
  const entry = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot find the folder of the package ${name} (its entry point is ${entry})`);
  return entry.slice(0, at + marker.length - 1);
}

export function packageFile(name: string, relative: string): string {
  return join(packageRoot(name), relative);
}

/**
 * Each asset as a GET route. `no-cache`: a browser keeps the file but asks again with its
 * ETag each time (a 304 without the body), so a new version of the page or of a package is
 * picked up at once.
 */
export function staticAssetsRouter(assets: readonly StaticAsset[]): Router {
  const router = Router();
  for (const asset of assets) {
    if (!statSync(asset.file, { throwIfNoEntry: false })?.isFile()) throw new Error(`${asset.path}: ${asset.file} is missing`);
    router.get(asset.path, (_req, res: Response, next) => {
      // dotfiles: pnpm keeps packages under node_modules/.pnpm/, a folder whose name starts with a dot.
      res.sendFile(asset.file, { headers: { 'Cache-Control': 'no-cache', ...asset.headers }, dotfiles: 'allow' }, (error) => {
        if (error && !res.headersSent) next(error);
      });
    });
  }
  return router;
}
