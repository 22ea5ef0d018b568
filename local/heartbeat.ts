/**
 * The heartbeat pattern, played locally: in production a scheduled job in the source database
 * updates one row of a heartbeat table every N seconds and DMS replicates it like any table;
 * here the scenario writes that row into the DynamoDB table DMS would have created, with the
 * DMS header columns (the commit time is the write time). The table reaches the reconciler
 * through the same CloudTrail CreateTable event as every other table.
 */
import { CreateTableCommand, DescribeTableCommand, PutItemCommand, type AttributeValue, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cloudTrailTableEvent } from './cloudtrail';

/** The heartbeat table of the local scenario (matched by HEARTBEAT_TABLE_PATTERNS in the local run). */
export const HEARTBEAT_TABLE = 'dms_heartbeat';

export const heartbeatTableInput: CreateTableCommandInput = {
  TableName: HEARTBEAT_TABLE,
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 },
};

/** The DMS header columns of a change committed at `at` (dms/table-mapping.json's column names). */
export function dmsHeaderColumns(at: number, sequence: number, transaction: string): Record<string, AttributeValue> {
  const text = `${new Date(at).toISOString().slice(0, 23).replace('T', ' ')}000`;
  const stamp = new Date(at).toISOString().replace(/\D/g, '').slice(0, 16); // YYYYMMDDHHmmSShh
  return {
    dms_commit_timestamp: { S: text },
    dms_change_seq: { S: `${stamp}${String(sequence).padStart(19, '0')}` },
    dms_transaction_id: { S: transaction },
    dms_stream_position: { S: `0/${sequence.toString(16).toUpperCase().padStart(8, '0')}` },
  };
}

export interface HeartbeatDeps {
  readonly dynamodb: DynamoDBClient;
  readonly region: string;
  readonly accountId: string;
  deliver(event: unknown): Promise<void>;
  /** The task-wide change sequence (shared with the scenario's other writes). */
  nextSequence(): number;
}

export interface HeartbeatRun {
  /** Stops after at least `minBeatsOnStream` beats were written while the table's stream was on (or `timeoutMs`). */
  stop(options?: { minBeatsOnStream?: number; timeoutMs?: number }): Promise<{ beats: number; beatsOnStream: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the heartbeat table, announces it, and updates its row every `intervalMs` until stopped. */
export async function startHeartbeat(deps: HeartbeatDeps, intervalMs: number): Promise<HeartbeatRun> {
  const created = await deps.dynamodb.send(new CreateTableCommand(heartbeatTableInput));
  for (let i = 0; i < 100; i++) {
    const { Table } = await deps.dynamodb.send(new DescribeTableCommand({ TableName: HEARTBEAT_TABLE }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await sleep(100);
  }
  await deps.deliver(cloudTrailTableEvent({ eventName: 'CreateTable', region: deps.region, accountId: deps.accountId, request: heartbeatTableInput, tableDescription: created.TableDescription! }));
  let beats = 0;
  let beatsOnStream = 0;
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const { Table } = await deps.dynamodb.send(new DescribeTableCommand({ TableName: HEARTBEAT_TABLE }));
      const onStream = Table?.StreamSpecification?.StreamEnabled === true;
      const at = Date.now();
      const sequence = deps.nextSequence();
      await deps.dynamodb.send(
        new PutItemCommand({ TableName: HEARTBEAT_TABLE, Item: { id: { N: '1' }, beat_at: { S: new Date(at).toISOString() }, ...dmsHeaderColumns(at, sequence, `hb-${sequence}`) } }),
      );
      beats++;
      if (onStream) beatsOnStream++;
      await sleep(intervalMs);
    }
  })();
  return {
    async stop(options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      while (beatsOnStream < (options.minBeatsOnStream ?? 0) && Date.now() < deadline) await sleep(50);
      stopping = true;
      await loop;
      return { beats, beatsOnStream };
    },
  };
}
