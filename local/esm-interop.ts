/**
 * Lets our CommonJS-compiled TypeScript load @middy/core, an ESM-only package whose
 * package.json exports only an "import" entry: a synchronous resolve hook adds the
 * "import" condition for it, and Node (>= 22.12) loads the ES module through require().
 * Import this module first in an entry point run by tsx (npm start, the CLI, benchmarks);
 * jest transpiles middy itself and needs nothing. Equivalent to `node --conditions=import`.
 */
import { createRequire } from 'node:module';
import * as nodeModule from 'node:module';

type ResolveHook = (specifier: string, context: { conditions?: readonly string[] }, next: (specifier: string, context?: object) => unknown) => unknown;
const registerHooks = (nodeModule as unknown as { registerHooks?: (hooks: { resolve: ResolveHook }) => void }).registerHooks;

let installed = false;
/** Installs the hook once; a no-op where middy already resolves (jest, --conditions=import). */
export function enableEsmOnlyPackages(): void {
  if (installed) return;
  installed = true;
  try {
    createRequire(__filename).resolve('@middy/core');
    return; // resolves already
  } catch {
    /* needs the hook */
  }
  if (!registerHooks) {
    throw new Error('Node.js >= 22.15 is needed to run the handlers locally (or start node with --conditions=import)');
  }
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier === '@middy/core' || specifier.startsWith('@middy/')) {
        return next(specifier, { ...context, conditions: [...(context.conditions ?? []), 'import'] });
      }
      return next(specifier, context);
    },
  });
}

enableEsmOnlyPackages();
