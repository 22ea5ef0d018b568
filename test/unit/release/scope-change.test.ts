import { Outcome } from '../../../reconciler/operator';
import { FakeAws } from '../reconciler/fake-aws';
import { operatorOn } from '../reconciler/helpers';

const MUTATIONS = ['UpdateTable', 'TagResource', 'UntagResource', 'CreateEventSourceMapping', 'UpdateEventSourceMapping', 'DeleteEventSourceMapping', 'RegisterScalableTarget', 'PutScalingPolicy', 'DeleteScalingPolicy', 'DeregisterScalableTarget'];
const mutations = (aws: FakeAws) => MUTATIONS.reduce((n, op) => n + (aws.calls[op] ?? 0), 0);
const ofTable = (aws: FakeAws, name: string) => ({
  mappings: [...aws.mappings.values()].filter((m) => m.streamArn.includes(`:table/${name}/`)).length,
  targets: [...aws.targets.values()].filter((t) => t.resourceId.startsWith(`table/${name}`)).length,
  policies: [...aws.policies.values()].filter((p) => p.resourceId.startsWith(`table/${name}`)).length,
  tags: Object.keys(aws.tables.get(name)?.tags ?? {}).length,
});

describe('sweep after the scope narrowed', () => {
  async function converged() {
    const aws = new FakeAws();
    for (const name of ['sales_orders', 'hr_people']) aws.addTable(name, { indexes: [{ name: 'g', status: 'ACTIVE' }] });
    await operatorOn(aws, { TABLE_INCLUDE_PATTERNS: '*' }).operator.sweep();
    aws.finishBackfills();
    return aws;
  }

  it('releases a managed table the filters no longer include; a second sweep does nothing', async () => {
    // Prepare
    const aws = await converged();
    const stream = aws.tables.get('hr_people')!.stream;
    const { operator } = operatorOn(aws, { TABLE_INCLUDE_PATTERNS: 'sales_*' });
    aws.calls = {};
    // Act
    const first = await operator.sweep();
    const firstMutations = mutations(aws);
    aws.calls = {};
    const second = await operator.sweep();
    // Assess
    expect(ofTable(aws, 'hr_people')).toEqual({ mappings: 0, targets: 0, policies: 0, tags: 0 });
    expect(aws.tables.get('hr_people')!.stream).toEqual(stream);
    expect(ofTable(aws, 'sales_orders')).toEqual({ mappings: 1, targets: 4, policies: 4, tags: 2 });
    const released = first.tables.find((t) => t.table === 'hr_people')!;
    expect(released.outcome).toBe(Outcome.Released);
    expect(released.actions.map((a) => a.type)).toEqual(['untag-table', 'delete-mapping', 'deregister-target', 'delete-policy', 'deregister-target', 'delete-policy', 'deregister-target', 'delete-policy', 'deregister-target', 'delete-policy']);
    expect(first.counts).toMatchObject({ released: 1, converged: 1, errors: 0 });
    expect(firstMutations).toBeGreaterThan(0);
    expect(aws.announcements.filter((a) => a.detailType === 'Table Released').map((a) => a.detail)).toEqual([expect.objectContaining({ tableName: 'hr_people', reason: 'out-of-scope', trigger: 'sweep' })]);
    expect(second.tables.map((t) => t.table)).toEqual(['sales_orders']);
    expect(second.counts).toMatchObject({ released: 0, changed: 0 });
    expect(mutations(aws)).toBe(0);
  });

  it('a dry run shows the release and changes nothing', async () => {
    // Prepare
    const aws = await converged();
    const { operator } = operatorOn(aws, { TABLE_INCLUDE_PATTERNS: 'sales_*' });
    aws.calls = {};
    // Act
    const dry = await operator.sweep({ dryRun: true });
    // Assess
    const planned = dry.tables.find((t) => t.table === 'hr_people')!;
    expect(planned.outcome).toBe(Outcome.Planned);
    expect(planned.release?.kept).toEqual([expect.objectContaining({ what: expect.stringContaining('stream') })]);
    expect(planned.actions.map((a) => a.type)).toContain('delete-mapping');
    expect(dry.counts.released).toBe(1);
    expect(mutations(aws)).toBe(0);
  });

  it('an excluded table that was deleted: its mapping and scaling are released too', async () => {
    // Prepare
    const aws = await converged();
    aws.tables.delete('hr_people');
    const { operator } = operatorOn(aws, { TABLE_EXCLUDE_PATTERNS: 'hr_*' });
    // Act
    const result = await operator.sweep();
    // Assess
    expect(ofTable(aws, 'hr_people')).toMatchObject({ mappings: 0, targets: 0, policies: 0 });
    expect(result.tables.find((t) => t.table === 'hr_people')!.outcome).toBe(Outcome.Released);
  });
});
