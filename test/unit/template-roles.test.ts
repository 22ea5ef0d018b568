/**
 * Who may do what, function by function (the SAM-translated roles): the control plane (the
 * reconciler) neither writes the data stream nor reads table data; the snapshot function reads
 * the DMS tables and writes the stream, nothing else; each bundle npm run build / sam build
 * produces lands in its own dist/<function>/ folder.
 */
import { translateTemplate } from '../../scripts/check-template.mjs';
import { functionBuilds, functionDirName } from '../../scripts/esbuild-options.mjs';
import { rolePolicyStatements, type PolicyStatement } from '../../scripts/iam-check.mjs';
import { TEMPLATE_PATH } from '../support/sam-local';

const VARIANTS = [
  { HasStreamCmk: false, CreateTrail: true, HasAlarmEmail: false, ProvisionedStream: false, HasReconcilerReservedConcurrency: false },
  { HasStreamCmk: true, CreateTrail: false, HasAlarmEmail: true, ProvisionedStream: true, HasReconcilerReservedConcurrency: true },
];
const DMS_TABLES = { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableNamePrefix}*' };
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });

let translated: Record<string, any>;
beforeAll(async () => {
  translated = await translateTemplate(TEMPLATE_PATH);
}, 120_000);

const actionsOf = (statement: PolicyStatement) => ([] as string[]).concat(statement.Action as string | string[]);
const resourcesOf = (statement: PolicyStatement) => ([] as unknown[]).concat(statement.Resource);

/** Every (action, resource) pair a role allows, resources as template values. */
function grants(roleLogicalId: string, conditions: Record<string, boolean>): { action: string; resource: unknown }[] {
  const { statements } = rolePolicyStatements(translated, roleLogicalId, conditions);
  return statements.flatMap((statement) => actionsOf(statement).flatMap((action) => resourcesOf(statement).map((resource) => ({ action, resource }))));
}
const resourcesFor = (pairs: { action: string; resource: unknown }[], action: string) => pairs.filter((pair) => pair.action === action).map((pair) => pair.resource);

describe.each(VARIANTS)('roles (%j)', (conditions) => {
  it('the reconciler publishes nothing, reads no table data and can invoke only the snapshot function', () => {
    // Act
    const reconciler = grants('ReconcilerFunctionRole', conditions);
    // Assess
    expect(reconciler.filter((pair) => pair.action.startsWith('kinesis:') || pair.action.startsWith('kms:'))).toEqual([]);
    expect(resourcesFor(reconciler, 'dynamodb:Scan')).toEqual([getAtt('BackfillStateTable', 'Arn')]);
    expect(reconciler.filter((pair) => ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'].includes(pair.action) && pair.resource !== undefined).map((pair) => pair.resource)).toEqual([
      getAtt('BackfillStateTable', 'Arn'),
    ]);
    expect(resourcesFor(reconciler, 'lambda:InvokeFunction')).toEqual([getAtt('SnapshotFunction', 'Arn')]);
  });

  it('the snapshot function scans the DMS tables, keeps its state, publishes to the stream and continues itself, nothing more', () => {
    // Act
    const snapshot = grants('SnapshotFunctionRole', conditions);
    // Assess
    expect(new Set(snapshot.map((pair) => pair.action))).toEqual(
      new Set([
        'dynamodb:DescribeTable',
        'dynamodb:Scan',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'kinesis:PutRecords',
        'lambda:InvokeFunction',
        'sqs:SendMessage',
        ...(conditions.HasStreamCmk ? ['kms:GenerateDataKey'] : []),
      ]),
    );
    expect(resourcesFor(snapshot, 'dynamodb:Scan')).toEqual([DMS_TABLES]);
    expect(resourcesFor(snapshot, 'dynamodb:DescribeTable')).toEqual([DMS_TABLES]);
    expect(resourcesFor(snapshot, 'dynamodb:UpdateItem')).toEqual([getAtt('BackfillStateTable', 'Arn')]);
    expect(resourcesFor(snapshot, 'kinesis:PutRecords')).toEqual([getAtt('ChangeStream', 'Arn')]);
    expect(resourcesFor(snapshot, 'lambda:InvokeFunction')).toEqual([getAtt('SnapshotFunction', 'Arn')]);
    expect(resourcesFor(snapshot, 'sqs:SendMessage')).toEqual([getAtt('ReconcilerFailureQueue', 'Arn')]);
  });

  it('the teardown function lists, releases, stops the reconciler and continues itself, nothing more', () => {
    // Act
    const teardown = grants('TeardownFunctionRole', conditions);
    // Assess
    expect(new Set(teardown.map((pair) => pair.action))).toEqual(
      new Set([
        'dynamodb:ListTables', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:ListTagsOfResource', 'dynamodb:UntagResource',
        'lambda:ListEventSourceMappings', 'lambda:DeleteEventSourceMapping', 'lambda:PutFunctionConcurrency', 'lambda:InvokeFunction',
        'application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies',
        'application-autoscaling:DeregisterScalableTarget', 'application-autoscaling:DeleteScalingPolicy',
        'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms', 'events:PutEvents',
      ]),
    );
    expect(resourcesFor(teardown, 'dynamodb:UntagResource')).toEqual([DMS_TABLES]);
    expect(resourcesFor(teardown, 'lambda:PutFunctionConcurrency')).toEqual([getAtt('ReconcilerFunction', 'Arn')]);
    expect(resourcesFor(teardown, 'lambda:InvokeFunction')).toEqual([getAtt('TeardownFunction', 'Arn')]);
  });

  it('dynamodb:ListStreams is granted on "*" alone (it has no resource-level permissions)', () => {
    // Act
    const forwarder = grants('ForwarderFunctionRole', conditions);
    // Assess
    expect(resourcesFor(forwarder, 'dynamodb:ListStreams')).toEqual(['*']);
  });
});

describe.each(VARIANTS)('redriver role (%j)', (conditions) => {
  it('reads table streams, writes only the change stream and the bus, consumes only the dead-letter queue, starts no backfill', () => {
    // Act
    const redriver = grants('RedriverFunctionRole', conditions);
    // Assess
    const dlq = getAtt('ForwarderDeadLetterQueue', 'Arn');
    expect(resourcesFor(redriver, 'kinesis:PutRecords')).toEqual([getAtt('ChangeStream', 'Arn')]);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility']) expect(resourcesFor(redriver, action)).toEqual([dlq]);
    expect(redriver.filter((pair) => pair.action.startsWith('lambda:') || ['dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:SendMessage'].includes(pair.action))).toEqual([]);
    expect(redriver.map((pair) => pair.action).filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
  });
});

describe('bundles', () => {
  it('npm run build and sam build produce one dist/<folder> per function: forwarder, reconciler, snapshot, teardown, redriver', () => {
    // Act
    const folders = Object.fromEntries(functionBuilds(TEMPLATE_PATH).map((build) => [build.logicalId, functionDirName(build)]));
    // Assess
    expect(folders).toEqual({ ForwarderFunction: 'forwarder', ReconcilerFunction: 'reconciler', SnapshotFunction: 'snapshot', TeardownFunction: 'teardown', RedriverFunction: 'redriver' });
  });
});
