/**
 * `npm run bench`: runs every benchmark in its own Node process (so one benchmark's
 * warm caches and emulators cannot flatter another's) and prints their markdown sections.
 * Benchmarks are measurements, not tests: they never fail on a number.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const BENCHMARKS = ['forwarder', 'reconciler', 'release', 'backfill', 'e2e', 'replay'] as const;
const only = process.argv.slice(2);
const selected = only.length > 0 ? BENCHMARKS.filter((name) => only.includes(name)) : BENCHMARKS;

console.log('# dms-event-bus benchmarks\n');
console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString()}\n`);

let failed = 0;
for (const name of selected) {
  const file = join(__dirname, `${name}.ts`);
  if (!existsSync(file)) {
    console.log(`## ${name}\n\n(not present)\n`);
    continue;
  }
  const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), file], { stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    failed += 1;
    console.log(`\n(benchmark ${name} exited with ${result.status ?? result.signal})\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
