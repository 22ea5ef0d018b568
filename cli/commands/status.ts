/** The rows of `status` and `plan`: each table in scope, observed and planned by the operator, with its backfill. */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetEventSourceMappingCommand, ListEventSourceMappingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { createDynamoDbClient, createLambdaClient } from '../../src/aws/clients';
import { createStarterStore } from '../../src/backfill-state/dynamodb-runs';
import type { ReconcilerConfig } from '../../src/config/reconciler';
import type { Logger } from '../../src/observability/logger';
import type { Metrics } from '../../src/observability/metrics';
import { createTableFilter } from '../../src/table-filter';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { getBackfillStatus } from '../../reconciler/backfill/index';
import { createOperator } from '../../reconciler/operator';
import { UserFacingError } from '../errors';
import { toStatusRow, type StatusRow } from '../format';

/** How the rows are computed: the reconciler configuration and quiet logs/metrics, from cli/main.ts. */
export interface StatusWiring {
  config(lambda: LambdaClient): Promise<ReconcilerConfig>;
  readonly quiet: { readonly logger: Logger; readonly metrics: Metrics };
}

async function tablesInScope(config: ReconcilerConfig, lambda: LambdaClient): Promise<string[]> {
  const filter = createTableFilter({ include: config.include, exclude: config.exclude });
  const dynamodb = createDynamoDbClient();
  const names = new Set<string>();
  let start: string | undefined;
  do {
    const page = await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) if (filter.includesName(name)) names.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  // Tables that are gone but still have a mapping to the forwarder are in scope too (cleanup).
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: config.forwarderFunctionArn, Marker: marker }));
    for (const mapping of page.EventSourceMappings ?? []) {
      const table = /:table\/([^/]+)\/stream\//.exec(mapping.EventSourceArn ?? '')?.[1];
      if (table && filter.includesName(table)) names.add(table);
    }
    marker = page.NextMarker;
  } while (marker);
  return [...names].sort();
}

export async function statusRows(names: string[], wiring: StatusWiring): Promise<{ rows: StatusRow[]; config: ReconcilerConfig }> {
  const lambda = createLambdaClient();
  const config = await wiring.config(lambda);
  const tables = names.length > 0 ? names : await tablesInScope(config, lambda);
  if (tables.length === 0) return { rows: [], config };
  const operator = createOperator(createAwsDeps(config, wiring.quiet));
  const summary = await operator.status(tables);
  const store = process.env.BACKFILL_STATE_TABLE ? createStarterStore(createDynamoDbClient(), process.env.BACKFILL_STATE_TABLE) : undefined;
  const rows: StatusRow[] = [];
  for (const result of summary.tables) {
    if (result.outcome === 'error') throw new UserFacingError(`${result.table}: ${result.error?.message ?? result.reason ?? 'error'}`);
    const observed = result.observed;
    if (names.length > 0 && observed && observed.table === null && observed.mappings.length === 0) {
      throw new UserFacingError(`Table ${result.table} not found${process.env.AWS_REGION ? ` in ${process.env.AWS_REGION}` : ''}.`);
    }
    const lastProcessingResults: Record<string, string | undefined> = {};
    for (const mapping of observed?.mappings ?? []) {
      try {
        lastProcessingResults[mapping.uuid] = (await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.uuid }))).LastProcessingResult;
      } catch {
        lastProcessingResults[mapping.uuid] = undefined;
      }
    }
    let backfill: { state: string; detail?: string } = { state: store ? 'not-needed' : 'unknown (BACKFILL_STATE_TABLE not set)' };
    if (store) {
      const view = await getBackfillStatus(result.table, { store });
      backfill = view.state === 'not-needed'
        ? { state: 'none' }
        : { state: view.state, detail: `${view.progress.segmentsDone}/${view.progress.segmentsTotal} segments, ${view.progress.items} items${view.error ? `, ${view.error}` : ''}` };
    }
    rows.push(toStatusRow({ table: result.table, observed, actions: result.actions, conflicts: result.conflicts, lastProcessingResults, backfill, ...(result.draining ? { draining: result.draining } : {}) }));
  }
  return { rows, config };
}

