#!/usr/bin/env node
/**
 * The `dms-event-bus` command: runs the TypeScript CLI (cli/main.ts) with tsx.
 * `--conditions=import` lets the CommonJS build of our code load @middy/core, which only
 * exports an ESM entry (Node >= 22 loads ES modules through require()).
 * The child gets Ctrl-C from the terminal itself; this shim only waits for it.
 */
'use strict';
const { spawn } = require('node:child_process');
const { join, dirname } = require('node:path');
const { pathToFileURL } = require('node:url');

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`dms-event-bus: Node.js 22.12 or later is required (this is ${process.version}); run it as \`npx dms-event-bus\` in the project, which uses the project's Node 24.\n`);
  process.exit(1);
}

let loader;
try {
  loader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
} catch {
  process.stderr.write('dms-event-bus: the dev dependency tsx is missing; run `npm ci` in the project first.\n');
  process.exit(1);
}
const cli = join(__dirname, '..', 'cli', 'main.ts');
const child = spawn(process.execPath, ['--conditions=import', '--import', loader, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.on('SIGINT', () => undefined); // the terminal sent it to the child too
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
