/**
 * `dms-event-bus uninstall [--dry-run] [--yes]`: what the stack's teardown custom resource
 * does, from a terminal: stops the deployed reconciler (reserved concurrency 0; --function-name
 * or RECONCILER_FUNCTION_NAME), releases every table the reconciler manages whatever the
 * filters say, waits out the reconciler's timeout, then releases whatever is still managed.
 * Streams stay enabled unless --disable-stream. Without --yes it only shows what it would do.
 */
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { createLambdaClient } from '../../src/aws/clients';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { initialReleaseAllState, releaseAll, type ReleaseAllState } from '../../reconciler/release/release-all';
import { createReleaser, type ReleaseResult } from '../../reconciler/release/releaser';
import { createReconcilerControl } from '../../teardown/adapters';
import { UsageError, UserFacingError } from '../errors';
import type { CommandContext } from './context';
import { formatReleaseResult } from './release';

export interface UninstallFlags {
  yes: boolean;
  disableStream: boolean;
  /** The deployed reconciler to stop first; undefined when there is none (a local run). */
  reconcilerFunction?: string;
}

async function stopReconciler(name: string, ctx: CommandContext): Promise<number> {
  const lambda = createLambdaClient();
  const result = await createReconcilerControl(lambda, name).stop();
  if (result === 'absent') throw new UserFacingError(`Reconciler function ${name} not found (check --function-name / RECONCILER_FUNCTION_NAME).`);
  const timeout = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Timeout ?? 900;
  ctx.io.err(`Stopped the reconciler ${name} (reserved concurrency 0; re-enable with: aws lambda delete-function-concurrency --function-name ${name}).`);
  return timeout;
}

export async function runUninstall(args: string[], flags: UninstallFlags, ctx: CommandContext): Promise<number> {
  if (args.length > 0) throw new UsageError('uninstall takes no table names: it releases every managed table (use release <table...> for some)');
  const dryRun = ctx.dryRun || !flags.yes;
  const config = await ctx.config();
  const deps = createAwsDeps(config, { logger: ctx.logger, metrics: ctx.metrics });
  const releaser = createReleaser(deps);
  const releaseDeps = { ...deps, releaser, tableArn: (name: string) => `arn:${config.partition}:dynamodb:${config.region}:${config.account}:table/${name}` };
  const results: ReleaseResult[] = [];
  const onResult = (result: ReleaseResult, state: ReleaseAllState) => {
    results.push(result);
    if (ctx.json) return;
    ctx.io.err(`[${state.examined} tables looked at, ${dryRun ? results.length : state.released} ${dryRun ? 'to release' : 'released'}]`);
    for (const line of formatReleaseResult(result)) ctx.io.out(line);
  };
  if (!dryRun && !flags.reconcilerFunction) {
    ctx.io.err('note: no deployed reconciler named (--function-name / RECONCILER_FUNCTION_NAME): if one runs, its next sweep attaches the tables in scope again.');
  }
  // Runs already in flight when it is stopped end within the function's timeout: then a final pass.
  const waitSeconds = !dryRun && flags.reconcilerFunction ? await stopReconciler(flags.reconcilerFunction, ctx) : 0;
  const stoppedAt = Date.now();
  const options = { disableStream: flags.disableStream, deadline: Date.now() + 3_600_000, trigger: 'cli', dryRun, onResult };
  let state = await releaseAll(releaseDeps, { ...options, checkTags: true }, initialReleaseAllState());
  if (waitSeconds > 0) {
    const until = stoppedAt + waitSeconds * 1000;
    if (Date.now() < until) {
      ctx.io.err(`Waiting ${Math.ceil((until - Date.now()) / 1000)} s for reconciler runs in flight to end…`);
      await new Promise((resolve) => setTimeout(resolve, until - Date.now()));
    }
    state = await releaseAll(releaseDeps, { ...options, checkTags: false }, { ...state, phase: 'leftovers', cursor: undefined });
  }
  const failed = state.failures.length + state.moreFailures;
  if (ctx.json) {
    ctx.io.out(JSON.stringify({ dryRun, released: state.released, examined: state.examined, failures: state.failures, moreFailures: state.moreFailures, tables: results }, null, 2));
  } else if (dryRun) {
    ctx.io.out(`${results.length} tables to release (of ${state.examined} looked at).`);
  } else {
    ctx.io.out(`Released ${state.released} tables${failed > 0 ? `; ${failed} not released: ${state.failures.map((f) => `${f.table} (${f.error})`).join('; ')}` : ''}.`);
  }
  if (dryRun && !ctx.dryRun) throw new UserFacingError(`Nothing was changed. Re-run with --yes to release ${results.length === 1 ? 'this table' : `these ${results.length} tables`} (or --dry-run to only list them).`);
  return failed > 0 ? 1 : 0;
}
