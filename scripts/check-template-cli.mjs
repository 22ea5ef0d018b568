// `node scripts/check-template-cli.mjs [template.yaml]`: cfn-lint plus the SDK actions each
// function's bundle can call (what its IAM policy must allow). npm test runs the full checks.
import { resolve } from 'node:path';
import { bundledSourceFiles, codeActions, runCfnLint } from './check-template.mjs';

const templatePath = resolve(process.argv[2] ?? 'template.yaml');
const lint = await runCfnLint(templatePath);
console.log(`cfn-lint: ${lint.status === 0 ? 'clean' : `exit ${lint.status}\n${lint.output}`}`);
const sources = await bundledSourceFiles(templatePath);
for (const [logicalId, files] of Object.entries(sources)) {
  const actions = [...codeActions(files).keys()].sort();
  console.log(`${logicalId}: ${files.length} source files; SDK actions: ${actions.join(', ') || '(none)'}`);
}
process.exitCode = lint.status === 0 ? 0 : 1;
