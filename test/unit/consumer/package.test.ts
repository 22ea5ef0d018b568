/**
 * The consumer kit as a consumer installs it: the real build script's output under the
 * package.json `exports`, in a temporary project with no other package (so nothing but
 * Node's built-ins is available at run time), loaded with `require` and with `import`, and
 * type-checked from TypeScript in both module systems (older `node` resolution reads
 * `typesVersions`, which it needs because it ignores `exports`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: unknown; typesVersions: unknown };
let project: string;

const run = (args: string[], cwd = project) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
const USE = `
  const materializer = new kit.Materializer();
  const event = kit.decodeChangeEvent(JSON.stringify({ schemaVersion: 1, id: 'e1', operation: 'insert', table: 'orders', sequenceNumber: '100000000000000000001',
    approximateCreationTime: '2026-03-01T00:00:00Z', readAt: null, ttlDeletion: false, truncated: [], keys: { id: '1' }, old: null, new: { id: '1', n: '12.50' },
    source: { eventSource: 'aws:dynamodb', region: 'eu-west-1', tableArn: 'arn:aws:dynamodb:eu-west-1:1:table/orders', streamArn: null } }));
  materializer.apply(event);
  process.stdout.write(JSON.stringify({ item: materializer.get('orders|{"id":"1"}'), big: String(kit.toBigInt('1.2E+1')) }));
`;

beforeAll(() => {
  // Prepare: the package (manifest + built kit) linked into a project's node_modules
  project = mkdtempSync(join(tmpdir(), 'consumer-kit-'));
  const pkg = join(project, 'pkg');
  const build = run([join(ROOT, 'scripts/build-consumer.mjs'), join(pkg, 'dist/consumer')], ROOT);
  if (build.status !== 0) throw new Error(build.stderr);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: manifest.name, version: '0.0.0', exports: manifest.exports, typesVersions: manifest.typesVersions }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(pkg, join(project, 'node_modules', manifest.name), 'dir');
  cpSync(join(ROOT, 'node_modules/@types/node'), join(project, 'node_modules/@types/node'), { recursive: true });
}, 60_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('dms-event-bus/consumer package', () => {
  const expected = { item: { id: '1', n: '12.50' }, big: '12' };

  it('loads with require (CommonJS)', () => {
    // Act
    const result = run(['-e', `const kit = require('dms-event-bus/consumer');${USE}`]);
    // Assess
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it('loads with import (ES module)', () => {
    // Act
    const result = run(['--input-type=module', '-e', `import * as kit from 'dms-event-bus/consumer';${USE}`]);
    // Assess
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(expected);
  });

  it.each([
    ['commonjs', 'node10', 'app.ts'],
    ['nodenext', 'nodenext', 'app.mts'],
  ])('has type declarations for TypeScript (module %s)', (module, resolution, file) => {
    // Prepare
    writeFileSync(
      join(project, file),
      `import { Materializer, type ChangeEvent, type ApplyOutcome } from 'dms-event-bus/consumer';\n` +
        `export const outcome = (event: ChangeEvent): ApplyOutcome => new Materializer().apply(event);\n` +
        `// @ts-expect-error: a misspelt export must not type-check (declarations are really read)\n` +
        `export { Materialiser } from 'dms-event-bus/consumer';\n`,
    );
    // Act
    const tsc = run([join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', module, '--moduleResolution', resolution, '--types', 'node', file]);
    // Assess
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
