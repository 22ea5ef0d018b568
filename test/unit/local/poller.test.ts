import type { _Record as SdkStreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { IteratorPosition, MappingSource, StreamReader } from '../../../local/poller/aws';
import type { StreamMapping } from '../../../local/poller/mapping-config';
import { createPoller } from '../../../local/poller/poller';
import { STREAM_ARN } from './poller-fixtures';

/** An in-memory stream with one open shard; iterators are "index" strings. */
function fakeStream() {
  const records: SdkStreamRecord[] = [];
  const reader: StreamReader = {
    describeShards: async () => [{ shardId: 'shard-1' }],
    getIterator: async (_arn, _shard, position: IteratorPosition) => {
      if (position.type !== 'AFTER_SEQUENCE_NUMBER') return position.type === 'LATEST' ? String(records.length) : '0';
      const after = position.sequenceNumber;
      return String(records.findIndex((r) => r.dynamodb!.SequenceNumber === after) + 1);
    },
    getRecords: async (iterator, limit) => {
      const start = Number(iterator);
      const page = records.slice(start, start + limit);
      return { records: page, nextIterator: String(start + page.length) };
    },
  };
  const write = (id: string) => records.push({ eventID: id, eventName: 'INSERT', dynamodb: { Keys: { id: { S: id } }, SequenceNumber: String(100 + records.length), ApproximateCreationDateTime: new Date() } });
  return { reader, write };
}

const baseMapping: StreamMapping = {
  uuid: 'm-1', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fwd', functionName: 'fwd', streamArn: STREAM_ARN,
  startingPosition: 'TRIM_HORIZON', batchSize: 10, maximumBatchingWindowMs: 0, maximumRetryAttempts: -1, maximumRecordAgeSeconds: -1,
  bisectBatchOnFunctionError: false, reportBatchItemFailures: true,
};

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A poller of baseMapping over `streams` whose function records the event ids it is given. */
function deliveringPoller(streams: StreamReader) {
  const delivered: string[] = [];
  const poller = createPoller({
    mappings: { listStreamMappings: async () => [baseMapping] },
    streams,
    destination: { send: async () => undefined },
    functions: { fwd: async (event) => { delivered.push(...(event as DynamoDBStreamEvent).Records.map((r) => r.eventID!)); return {}; } },
    region: 'us-east-1',
    pollIntervalMs: 5,
    mappingRefreshMs: 10,
  });
  return { poller, delivered };
}

describe('createPoller', () => {
  it('keeps the checkpoint when a mapping is updated: nothing is delivered twice', async () => {
    // Prepare
    const stream = fakeStream();
    let mapping = baseMapping;
    const source: MappingSource = { listStreamMappings: async () => [mapping] };
    const delivered: string[] = [];
    const poller = createPoller({
      mappings: source,
      streams: stream.reader,
      destination: { send: async () => undefined },
      functions: { fwd: async (event) => { delivered.push(...(event as DynamoDBStreamEvent).Records.map((r) => r.eventID!)); return {}; } },
      region: 'us-east-1',
      pollIntervalMs: 5,
      mappingRefreshMs: 10,
    });
    ['a', 'b', 'c'].forEach(stream.write);
    // Act
    poller.start();
    await until(() => delivered.length === 3);
    mapping = { ...baseMapping, batchSize: 2 }; // the reconciler updated the mapping
    await poller.refresh();
    ['d', 'e'].forEach(stream.write);
    await until(() => delivered.length >= 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await poller.stop();
    // Assess
    expect(delivered).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('never delivers a record twice when the emulator repeats records it already returned', async () => {
    // Prepare: moto can hand out a record again when writes race a read; AWS never does
    const stream = fakeStream();
    const repeatingReader: StreamReader = {
      ...stream.reader,
      getRecords: async (iterator, limit) => {
        await new Promise((resolve) => setImmediate(resolve)); // a real read yields to timers
        const page = await stream.reader.getRecords(iterator, limit);
        const start = Number(iterator);
        const repeated = start > 0 ? await stream.reader.getRecords(String(start - 1), 1) : { records: [] };
        return { records: [...repeated.records, ...page.records], nextIterator: page.nextIterator };
      },
    };
    const { poller, delivered } = deliveringPoller(repeatingReader);
    // Act
    poller.start();
    ['a', 'b'].forEach(stream.write);
    await until(() => delivered.length >= 2);
    ['c', 'd'].forEach(stream.write);
    await until(() => delivered.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await poller.stop();
    // Assess
    expect(delivered).toEqual(['a', 'b', 'c', 'd']);
  });

  it('delivers two different records that the emulator gave one sequence number', async () => {
    // Prepare: moto numbers records by the shard's length, so two concurrent writes can share one
    const stream = fakeStream();
    ['a', 'b', 'c'].forEach(stream.write);
    const sharedSequence: StreamReader = {
      ...stream.reader,
      getRecords: async (iterator, limit) => {
        await new Promise((resolve) => setImmediate(resolve));
        const page = await stream.reader.getRecords(iterator, Math.min(limit, 1)); // one record a page
        return { ...page, records: page.records.map((r) => (r.eventID === 'b' ? { ...r, dynamodb: { ...r.dynamodb, SequenceNumber: '100' } } : r)) };
      },
    };
    const { poller, delivered } = deliveringPoller(sharedSequence);
    // Act
    poller.start();
    await until(() => delivered.length >= 3);
    await poller.stop();
    // Assess
    expect(delivered).toEqual(['a', 'b', 'c']);
  });

  it('skips mappings of functions it does not run, and stops polling a removed mapping', async () => {
    // Prepare
    const stream = fakeStream();
    let mappings = [baseMapping, { ...baseMapping, uuid: 'm-2', functionName: 'other', functionArn: 'arn:aws:lambda:us-east-1:1:function:other' }];
    const poller = createPoller({
      mappings: { listStreamMappings: async () => mappings },
      streams: stream.reader,
      destination: { send: async () => undefined },
      functions: { fwd: async () => ({}) },
      region: 'us-east-1',
      pollIntervalMs: 5,
    });
    // Act
    await poller.refresh();
    const before = poller.activeMappings();
    mappings = [];
    await poller.refresh();
    // Assess
    expect(before).toEqual(['m-1']);
    expect(poller.activeMappings()).toEqual([]);
    await poller.stop();
  });
});
