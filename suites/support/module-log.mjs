// A module-load hook for tests that ask which modules a command loads: with
// `node --import ./module-log.mjs`, each harness module (dist/harness/...) and each
// engine client package it loads is appended to the file named by MODULE_LOG.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

if (process.env.MODULE_LOG_HOOK !== '1') {
  process.env.MODULE_LOG_HOOK = '1';
  register(import.meta.url, import.meta.url);
}

/** The loader hook: runs in the hooks thread. */
export async function load(url, context, next) {
  const m = /\/dist\/harness\/(.+)$|\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m && process.env.MODULE_LOG) appendFileSync(process.env.MODULE_LOG, `${m[1] ?? `package ${m[2]}`}\n`);
  return next(url, context);
}
