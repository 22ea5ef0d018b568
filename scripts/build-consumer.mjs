// Builds the consumer kit (src/consumer) as the package export `dms-event-bus/consumer`:
// one CommonJS and one ES module bundle (esbuild; node built-ins only, no dependency) and
// TypeScript declarations (tsc). `node scripts/build-consumer.mjs [outdir]`, dist/consumer by default.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const outdir = resolve(process.argv[2] ?? join(root, 'dist', 'consumer'));
const entry = join(root, 'src', 'consumer', 'index.ts');
rmSync(outdir, { recursive: true, force: true });

const common = { absWorkingDir: root, entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning', metafile: true };
for (const [format, file] of [['cjs', 'index.cjs'], ['esm', 'index.mjs']]) {
  const result = await build({ ...common, format, outfile: join(outdir, file) });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('src/consumer/'));
  // The kit is self-contained: anything else in the bundle is a mistake (it would ship with it).
  if (inputs.length > 0) throw new Error(`the consumer kit bundles files outside src/consumer: ${inputs.join(', ')}`);
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
  const foreign = imports.filter((path) => !path.startsWith('node:'));
  if (foreign.length > 0) throw new Error(`the consumer kit imports packages at run time: ${foreign.join(', ')}`);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const types = spawnSync(
  process.execPath,
  [tsc, '--declaration', '--emitDeclarationOnly', '--noEmit', 'false', '--outDir', join(outdir, 'types'), '--rootDir', join(root, 'src', 'consumer'),
    '--target', 'ES2023', '--module', 'commonjs', '--moduleResolution', 'node', '--strict', '--skipLibCheck', '--types', 'node', entry],
  { encoding: 'utf8' },
);
if (types.status !== 0) throw new Error(`tsc declarations failed:\n${types.stdout}${types.stderr}`);
console.log(`built the consumer kit -> ${outdir} (index.cjs, index.mjs, types/)`);
