import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { AppConfig } from '@care/config';

/** Where the console is served: same origin as the API, so it needs no CORS and no token leaves the origin. */
export const CONSOLE_PATH = '/console';

/**
 * The built web console (apps/console, built by Vite into CONSOLE_DIR) under /console: hashed assets
 * as files, every other path under /console answered with index.html (the console routes in the
 * browser). Nothing is served when the console is not built (the API works without it).
 */
export const consoleModules = (config: AppConfig): DynamicModule[] => {
  if (!fs.existsSync(path.join(config.console.dir, 'index.html'))) return [];
  return [
    ServeStaticModule.forRoot({
      rootPath: config.console.dir,
      serveRoot: CONSOLE_PATH,
      // A missing asset is a 404, not the page (a stale tab after an upgrade must not run HTML as script).
      exclude: [`${CONSOLE_PATH}/assets/{*path}`],
      // cacheControl off: the security-headers middleware decides what may be cached.
      serveStaticOptions: { index: 'index.html', dotfiles: 'deny', fallthrough: true, redirect: true, etag: true, cacheControl: false },
    }),
  ];
};
