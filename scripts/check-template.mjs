// The checks that prove template.yaml without an AWS account: cfn-lint, the SAM translation
// (the plain CloudFormation that `sam deploy` would submit), and the source files that end up in
// each function's bundle (so IAM can be compared with the SDK calls the code can make).
// Imported by the template tests; `node scripts/check-template-cli.mjs` prints a summary.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { functionBuilds } from './esbuild-options.mjs';
import { iamActionFor, sdkOperationsInSource } from './iam-check.mjs';

export const CFN_LINT_INSTALL_HINT =
  'cfn-lint 1.x (with the SAM translator) is required to check template.yaml: install it with `pip install "cfn-lint>=1,<2"` ' +
  '(or set CFN_LINT_COMMAND to its path).';

/** Raised when a required tool (cfn-lint, its Python) is not installed; the message says how to install it. */
export class ToolMissingError extends Error {
  name = 'ToolMissingError';
}

/** Runs a command to completion; resolves with its exit status and output (rejects only if it cannot start). */
function run(command, args, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status: status ?? -1, stdout, stderr });
    });
  });
}

/**
 * Runs cfn-lint on the template (errors and warnings, its default rule set), optionally with
 * parameter values (`--parameters Name=value ...`, checked as a deployment with those values).
 * @param {string} templatePath
 * @param {Record<string, string>} [parameters]
 * @returns {Promise<{ status: number, output: string }>}
 */
export async function runCfnLint(templatePath, parameters = {}) {
  const command = process.env.CFN_LINT_COMMAND ?? 'cfn-lint';
  const values = Object.entries(parameters).map(([name, value]) => `${name}=${value}`);
  let result;
  try {
    result = await run(command, ['--format', 'parseable', ...(values.length > 0 ? ['--parameters', ...values] : []), '--', templatePath], 120_000);
  } catch (error) {
    throw new ToolMissingError(`${CFN_LINT_INSTALL_HINT} (${error.message})`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Python program that translates a SAM template the way cfn-lint does (samtranslator, local managed-policy map). */
const TRANSLATE_PY = `
import json, sys
try:
    import cfnlint.decode
    from cfnlint.template.transforms._sam import Transform
except ImportError as error:
    print("MISSING: " + str(error), file=sys.stderr); sys.exit(9)
template, matches = cfnlint.decode.decode(sys.argv[1])
if matches:
    print("\\n".join(str(m) for m in matches), file=sys.stderr); sys.exit(2)
transform = Transform(sys.argv[1], template, "us-east-1")
matches = transform.transform_template()
if matches:
    print("\\n".join(str(m) for m in matches), file=sys.stderr); sys.exit(3)
json.dump(transform.template(), sys.stdout, default=str)
`;

/**
 * The template after the AWS::Serverless-2016-10-31 transform: the roles, policies, rules and
 * permissions SAM generates, as CloudFormation will see them.
 * @returns {Promise<Record<string, any>>}
 */
export async function translateTemplate(templatePath) {
  const python = process.env.CFN_LINT_PYTHON ?? 'python3';
  let result;
  try {
    result = await run(python, ['-c', TRANSLATE_PY, templatePath], 120_000);
  } catch (error) {
    throw new ToolMissingError(`${CFN_LINT_INSTALL_HINT} The SAM translation runs in ${python} (set CFN_LINT_PYTHON to the Python that has cfn-lint). ${error.message}`);
  }
  if (result.status === 9) {
    throw new ToolMissingError(`${CFN_LINT_INSTALL_HINT} The SAM translation runs in ${python} (set CFN_LINT_PYTHON to the Python that has cfn-lint). ${result.stderr}`);
  }
  if (result.status !== 0) throw new Error(`SAM translation of ${templatePath} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * The project source files (not node_modules) that contribute code to each function's bundle,
 * from an esbuild build with the exact options of `npm run build` / `sam build`.
 * @returns {Promise<Record<string, string[]>>} logical id -> absolute paths
 */
export async function bundledSourceFiles(templatePath) {
  const root = resolve(templatePath, '..');
  const outdir = mkdtempSync(join(tmpdir(), 'dms-event-bus-bundle-'));
  try {
    const files = {};
    for (const fn of functionBuilds(templatePath)) {
      // Input paths come back relative to absWorkingDir: the template's folder, whatever the cwd.
      const result = await build({ ...fn.options, absWorkingDir: root, outdir, write: false, metafile: true, logLevel: 'silent' });
      const inputs = new Set();
      for (const output of Object.values(result.metafile.outputs)) {
        for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
          if (bytesInOutput > 0 && !input.includes('node_modules/')) inputs.add(isAbsolute(input) ? input : join(root, input));
        }
      }
      files[fn.logicalId] = [...inputs].sort();
    }
    return files;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * IAM actions the given source files can call through the AWS SDK, each with the files that call it.
 * @param {string[]} files
 * @returns {Map<string, string[]>}
 */
export function codeActions(files) {
  const actions = new Map();
  for (const file of files) {
    for (const { pkg, operation } of sdkOperationsInSource(readFileSync(file, 'utf8'), file)) {
      const action = iamActionFor(pkg, operation);
      actions.set(action, [...(actions.get(action) ?? []), file]);
    }
  }
  return actions;
}
