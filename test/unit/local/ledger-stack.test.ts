import { join } from 'node:path';
import { judge, keyText, percentile, type ReceivedEvent, type WriteEntry } from '../../../local/ledger';
import { functionEnvironment, type LocalStack } from '../../../local/stack';
import { loadTemplate } from '../../../scripts/cfn-yaml.mjs';

const write = (key: string, op: WriteEntry['op'], rev: number, afterStream = true, writtenAt = 1_000): WriteEntry => ({ table: 't', key: `id=${key}`, op, rev, afterStream, writtenAt });
const event = (id: string, key: string, operation: string, rev: number, seq: string | null, arrivedAt = 1_100): ReceivedEvent => ({
  id,
  operation,
  table: 't',
  keys: { id: key },
  old: operation === 'remove' ? { id: key, rev: String(rev) } : null,
  new: operation === 'remove' ? null : { id: key, rev: String(rev) },
  sequenceNumber: seq,
  arrivedAt,
});

describe('judge', () => {
  it('passes a complete, ordered delivery and measures latency', () => {
    // Prepare: k1 loaded before the stream (snapshot), k2 inserted, updated, deleted after
    const writes = [write('1', 'put', 1, false), write('2', 'put', 2), write('2', 'update', 3), write('2', 'delete', 3, true, 1_050)];
    const events = [event('s', '1', 'snapshot', 1, null), event('a', '2', 'insert', 2, '10', 1_200), event('b', '2', 'modify', 3, '11'), event('c', '2', 'remove', 3, '12', 1_450)];
    // Act
    const verdict = judge(writes, events);
    // Assess
    expect(verdict.totals).toEqual({ writes: 4, writesAfterStream: 3, streamEvents: 3, snapshotEvents: 1, missing: 0, duplicates: 0, outOfOrder: 0, staleItems: 0 });
    expect(verdict.latency).toMatchObject({ count: 3, p50: 200, max: 400 });
    expect(verdict.problems).toEqual([]);
  });

  it.each([
    ['a missing change', [write('1', 'put', 1), write('1', 'update', 2)], [event('a', '1', 'insert', 1, '10')], { missing: 1, staleItems: 1 }],
    ['a duplicate', [write('1', 'put', 1)], [event('a', '1', 'insert', 1, '10'), event('a', '1', 'insert', 1, '10')], { duplicates: 1 }],
    ['a reordering', [write('1', 'put', 1), write('1', 'update', 2)], [event('b', '1', 'modify', 2, '11'), event('a', '1', 'insert', 1, '10')], { outOfOrder: 1 }],
    ['a pre-stream row no snapshot shows', [write('1', 'put', 1, false)], [], { staleItems: 1 }],
  ])('detects %s', (_name, writes, events, expected) => {
    // Act
    const verdict = judge(writes, events);
    // Assess
    expect(verdict.totals).toMatchObject(expected);
    expect(verdict.problems.length + verdict.totals.duplicates).toBeGreaterThan(0);
  });

  it('helpers', () => {
    expect(keyText({ b: 2, a: '1' })).toBe('a=1,b=2');
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 99)).toBe(0);
  });
});

describe('functionEnvironment', () => {
  it('sets every variable template.yaml gives the forwarder and the reconciler', () => {
    // Prepare
    const template = loadTemplate(join(__dirname, '../../../template.yaml')) as { Resources: Record<string, { Type: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }> };
    const declared = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Serverless::Function')
      .flatMap((r) => Object.keys(r.Properties?.Environment?.Variables ?? {}))
      .filter((name) => !name.startsWith('AWS_ENDPOINT_URL_')) // set from the emulators
      // One value per function (its default in the code, the value template.yaml sets): the local
      // run's shared environment leaves it unset so each function uses its own.
      .filter((name) => name !== 'POWERTOOLS_SERVICE_NAME');
    const stack = { streamName: 's', forwarderFunctionArn: 'arn:f', forwarderDlqArn: 'arn:q', backfillStateTable: 'b', reconcilerFunctionName: 'r' } as LocalStack;
    // Act
    const env = functionEnvironment(stack);
    // Assess
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((name) => !(name in env))).toEqual([]);
  });
});
