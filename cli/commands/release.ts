/**
 * `dms-event-bus release <table...> [--disable-stream] [--force] [--dry-run]`: takes back
 * what the reconciler created on the tables (their mappings to the forwarder, its scaling
 * targets and policies, its tags; with --disable-stream also the streams it enabled).
 * A table still in scope would be attached again by the next sweep, so that needs --force.
 * Every name is checked before anything is changed.
 */
import { createTableFilter } from '../../src/table-filter';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { ReleaseReason } from '../../reconciler/release/model';
import { createReleaser, ReleaseOutcome, type ReleaseResult } from '../../reconciler/release/releaser';
import { UsageError, UserFacingError } from '../errors';
import { describeAction } from '../format';
import type { CommandContext } from './context';

/** DynamoDB table names: 3-255 of a-z A-Z 0-9 _ - . */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export interface ReleaseFlags {
  disableStream: boolean;
  force: boolean;
}

export function formatReleaseResult(result: ReleaseResult): string[] {
  const lines = [`${result.table}: ${result.outcome}${result.error ? ` - ${result.error.message}` : ''}`];
  for (const action of result.actions) lines.push(`  ${result.outcome === ReleaseOutcome.Planned ? 'would ' : ''}${describeAction(action)}`);
  for (const left of result.left ?? []) lines.push(`  left: ${describeAction(left)}`);
  for (const kept of result.kept) lines.push(`  kept: ${kept.what} (${kept.why})`);
  return lines;
}

export async function runRelease(names: string[], flags: ReleaseFlags, ctx: CommandContext): Promise<number> {
  if (names.length === 0) throw new UsageError('release needs at least one table name');
  const bad = names.filter((name) => !TABLE_NAME.test(name));
  if (bad.length > 0) throw new UsageError(`not a DynamoDB table name: ${bad.join(', ')} (3-255 characters: letters, digits, _ - .)`);
  const config = await ctx.config();
  const filter = createTableFilter({ include: config.include, exclude: config.exclude });
  const inScope = [...new Set(names)].filter((name) => filter.includesName(name));
  if (inScope.length > 0 && !flags.force) {
    throw new UserFacingError(
      `${inScope.join(', ')} ${inScope.length === 1 ? 'is' : 'are'} still in scope (TABLE_INCLUDE_PATTERNS=${config.include.join(',')}, TABLE_EXCLUDE_PATTERNS=${config.exclude.join(',')}): ` +
        'the next sweep would attach it again. Narrow the patterns (stack parameters) first, or pass --force to release it anyway.',
    );
  }
  const deps = createAwsDeps(config, { logger: ctx.logger, metrics: ctx.metrics });
  const releaser = createReleaser(deps);
  const results: ReleaseResult[] = [];
  for (const name of [...new Set(names)]) {
    const result = await releaser.release(name, { reason: ReleaseReason.Requested, disableStream: flags.disableStream, dryRun: ctx.dryRun, trigger: 'cli', deadline: Date.now() + 300_000 });
    if (result.actions.length === 0 && result.outcome !== ReleaseOutcome.Error && (await deps.tables.describeTable(name)) === null) {
      throw new UserFacingError(`Table ${name} not found${process.env.AWS_REGION ? ` in ${process.env.AWS_REGION}` : ''}, and nothing of the reconciler's refers to it.`);
    }
    results.push(result);
    if (!ctx.json) for (const line of formatReleaseResult(result)) ctx.io.out(line);
  }
  if (ctx.json) ctx.io.out(JSON.stringify({ dryRun: ctx.dryRun, tables: results }, null, 2));
  return results.some((r) => r.outcome === ReleaseOutcome.Error || r.outcome === ReleaseOutcome.Requeue) ? 1 : 0;
}
