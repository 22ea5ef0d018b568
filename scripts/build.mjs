// `npm run build`: bundles each function exactly as `sam build` would, into dist/<function>/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionBuilds, functionDirName } from './esbuild-options.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const builds = functionBuilds(join(root, 'template.yaml'));
rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const fn of builds) {
  const outdir = join(root, 'dist', functionDirName(fn));
  const result = await build({ ...fn.options, outdir, metafile: true, logLevel: 'warning' });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`built ${fn.logicalId} -> ${join('dist', functionDirName(fn), fn.outputName)}.js (${(bytes / 1024).toFixed(1)} KiB)`);
}
