import { planWave, recordBytes, writtenPrefix, type PublishRecord } from '../../../src/publisher';

const rec = (partitionKey: string, bytes = 10): PublishRecord => ({ partitionKey, data: new Uint8Array(bytes - Buffer.byteLength(partitionKey)) });

describe('planWave', () => {
  const limits = { maxEntriesPerRequest: 3, maxRequestBytes: 100, maxRecordBytes: 60 };

  const cases: Array<[string, PublishRecord[], number[], number[][]]> = [
    ['distinct keys pack into one request', [rec('a'), rec('b'), rec('c')], [0, 1, 2], [[0, 1, 2]]],
    ['the entry limit splits requests', [rec('a'), rec('b'), rec('c'), rec('d')], [0, 1, 2, 3], [[0, 1, 2], [3]]],
    ['the byte limit splits requests', [rec('a', 60), rec('b', 40), rec('c', 10)], [0, 1, 2], [[0, 1], [2]]],
    ['only the first pending record of a key goes out', [rec('a'), rec('a'), rec('b'), rec('a')], [0, 1, 2, 3], [[0, 2]]],
    ['after the first is written, the next of that key', [rec('a'), rec('a'), rec('b'), rec('a')], [1, 3], [[1]]],
    ['nothing pending, no request', [rec('a')], [], []],
  ];

  it.each(cases)('%s', (_name, records, pending, expected) => {
    // Act
    const wave = planWave(records, records.map(recordBytes), pending, limits);
    // Assess
    expect(wave).toEqual(expected);
  });

  it('needs 2 requests for 1,000 small records with distinct keys (the minimum under 500 entries per request)', () => {
    // Prepare
    const records = Array.from({ length: 1_000 }, (_, i) => rec(`orders|{"id":"${i}"}`, 300));
    // Act
    const wave = planWave(records, records.map(recordBytes), records.map((_, i) => i), { maxEntriesPerRequest: 500, maxRequestBytes: 5 * 1_048_576, maxRecordBytes: 1_048_576 });
    // Assess
    expect(wave.map((request) => request.length)).toEqual([500, 500]);
  });
});

describe('writtenPrefix', () => {
  it.each([
    [[], 0],
    [[true, true], 2],
    [[true, false, true], 1],
    [[false, true], 0],
  ] as Array<[boolean[], number]>)('%j -> %d', (written, expected) => {
    expect(writtenPrefix(written)).toBe(expected);
  });
});
