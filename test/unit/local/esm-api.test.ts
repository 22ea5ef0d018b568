import { createEsmApi, EsmApiError, type EsmConfiguration } from '../../../local/esm-api';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:fwd';
const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000';

function api(streams: string[] = [STREAM]) {
  return createEsmApi({
    region: 'us-east-1',
    accountId: '123456789012',
    resolveFunction: async (name) => (name === 'fwd' || name === FN ? FN : undefined),
    streamExists: async (arn) => streams.includes(arn),
    now: () => 1_700_000_000_000,
  });
}

describe('local event source mapping API', () => {
  it("fills Lambda's defaults and answers Creating", async () => {
    // Act
    const created = await api().create({ FunctionName: 'fwd', EventSourceArn: STREAM, StartingPosition: 'TRIM_HORIZON' });
    // Assess
    expect(created).toMatchObject({
      FunctionArn: FN, EventSourceArn: STREAM, StartingPosition: 'TRIM_HORIZON', State: 'Creating', BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0, ParallelizationFactor: 1, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1,
      BisectBatchOnFunctionError: false, FunctionResponseTypes: [], DestinationConfig: { OnFailure: {} },
      LastProcessingResult: 'No records processed', LastModified: 1_700_000_000,
    });
    expect(created.EventSourceMappingArn).toBe(`arn:aws:lambda:us-east-1:123456789012:event-source-mapping:${created.UUID}`);
  });

  it.each([
    ['a missing StartingPosition', { FunctionName: 'fwd', EventSourceArn: STREAM }, 'InvalidParameterValueException'],
    ['an unknown function', { FunctionName: 'nope', EventSourceArn: STREAM, StartingPosition: 'LATEST' }, 'ResourceNotFoundException'],
    ['a stream that does not exist', { FunctionName: 'fwd', EventSourceArn: `${STREAM}9`, StartingPosition: 'LATEST' }, 'InvalidParameterValueException'],
    ['a record age of 30 s', { FunctionName: 'fwd', EventSourceArn: STREAM, StartingPosition: 'LATEST', MaximumRecordAgeInSeconds: 30 }, 'InvalidParameterValueException'],
    ['a batch size of 0', { FunctionName: 'fwd', EventSourceArn: STREAM, StartingPosition: 'LATEST', BatchSize: 0 }, 'InvalidParameterValueException'],
    ['a non-stream source', { FunctionName: 'fwd', EventSourceArn: 'arn:aws:sqs:us-east-1:1:q', StartingPosition: 'LATEST' }, 'InvalidParameterValueException'],
  ])('rejects %s', async (_name, body, type) => {
    await expect(api().create(body)).rejects.toMatchObject({ name: type });
  });

  it('refuses a second mapping of the same stream and function, naming the existing one', async () => {
    // Prepare
    const esm = api();
    const first = await esm.create({ FunctionName: 'fwd', EventSourceArn: STREAM, StartingPosition: 'LATEST' });
    // Act
    const second = esm.create({ FunctionName: FN, EventSourceArn: STREAM, StartingPosition: 'TRIM_HORIZON' });
    // Assess
    await expect(second).rejects.toBeInstanceOf(EsmApiError);
    await expect(second).rejects.toMatchObject({ name: 'ResourceConflictException', status: 409, message: expect.stringContaining(`existing mapping with UUID ${first.UUID}`) });
  });

  it('updates, lists by stream/function with paging, records results and deletes', async () => {
    // Prepare
    const streams = Array.from({ length: 3 }, (_, i) => `${STREAM}${i}`);
    const esm = api(streams);
    const created: EsmConfiguration[] = [];
    for (const stream of streams) created.push(await esm.create({ FunctionName: 'fwd', EventSourceArn: stream, StartingPosition: 'LATEST' }));
    // Act
    const updated = await esm.update(created[0]!.UUID, { BatchSize: 7, Enabled: false, DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:1:dlq' } } });
    esm.recordResult(created[1]!.UUID, 'PROBLEM: Function call failed');
    const page1 = await esm.list({ functionName: 'fwd', maxItems: 2 });
    const page2 = await esm.list({ functionName: 'fwd', maxItems: 2, marker: page1.NextMarker });
    const byStream = await esm.list({ eventSourceArn: streams[2] });
    const deleted = esm.delete(created[2]!.UUID);
    // Assess
    expect(updated).toMatchObject({ State: 'Updating', BatchSize: 7, DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:1:dlq' } } });
    expect(esm.get(created[0]!.UUID).State).toBe('Disabled');
    expect(esm.get(created[1]!.UUID).LastProcessingResult).toBe('PROBLEM: Function call failed');
    expect(page1.EventSourceMappings).toHaveLength(2);
    expect(page2).toEqual({ EventSourceMappings: [expect.objectContaining({ UUID: created[2]!.UUID })] });
    expect(byStream.EventSourceMappings.map((m) => m.UUID)).toEqual([created[2]!.UUID]);
    expect(deleted.State).toBe('Deleting');
    expect(() => esm.get(created[2]!.UUID)).toThrow(expect.objectContaining({ name: 'ResourceNotFoundException' }));
  });
});
