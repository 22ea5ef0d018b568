/**
 * The data lake part of template.yaml: cfn-lint with the archive on and off, the Firehose
 * role's least privilege (Firehose is not a Lambda, so its needs are listed here from the
 * Firehose access-control page), the bucket's protection, and the agreement between the
 * Firehose prefix, the JQ query and the Glue table that Athena reads.
 */
import { runCfnLint, translateTemplate } from '../../scripts/check-template.mjs';
import { analyseRole, rolePolicyStatements, type ServiceAction } from '../../scripts/iam-check.mjs';
import { loadArchiveDeliveryConfig } from '../../local/archive/delivery-config';
import { loadProjectTemplate, TEMPLATE_PATH } from '../support/sam-local';

const template = loadProjectTemplate();
const resources = template.Resources as Record<string, any>;
let translated: Record<string, any>;

beforeAll(async () => {
  translated = await translateTemplate(TEMPLATE_PATH);
}, 120_000);

/**
 * What Firehose does with its role for a Kinesis source and an S3 destination, per
 * https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
 * ("Grant Firehose access to an Amazon S3 destination", Kinesis Data Streams as the source, CloudWatch Logs).
 */
function firehoseNeeds(conditions: { HasStreamCmk: boolean }): ServiceAction[] {
  const needs = [
    ...['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'].map((action) => ({ action, why: 'reads the source stream' })),
    ...['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'].map((action) => ({ action, why: 'writes the destination bucket' })),
    { action: 'logs:PutLogEvents', why: 'logs delivery errors' },
  ];
  if (conditions.HasStreamCmk) {
    needs.push({ action: 'kms:Decrypt', why: 'reads a stream encrypted with a customer managed key, writes multipart objects' });
    needs.push({ action: 'kms:GenerateDataKey', why: 'writes SSE-KMS objects' });
  }
  return needs;
}

const VARIANTS = [
  { HasStreamCmk: false, ArchiveCreatesBucket: true },
  { HasStreamCmk: true, ArchiveCreatesBucket: true },
  { HasStreamCmk: true, ArchiveCreatesBucket: false },
  { HasStreamCmk: false, ArchiveCreatesBucket: false },
];

describe('cfn-lint', () => {
  it.each([
    [{ ArchiveEnabled: 'true' }],
    [{ ArchiveEnabled: 'false' }],
    [{ ArchiveEnabled: 'true', ArchiveBucketName: 'existing-archive', KinesisKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', ArchiveGlacierAfterDays: '90', ArchiveExpireAfterDays: '400' }],
  ])('passes with %j', async (parameters) => {
    // Act
    const { status, output } = await runCfnLint(TEMPLATE_PATH, parameters);
    // Assess
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 120_000);
});

describe('the archive is optional', () => {
  it('every archive resource and output exists only when ArchiveOn (or narrower)', () => {
    // Prepare
    const archive = Object.entries(resources).filter(([id]) => id.startsWith('Archive'));
    const outputs = Object.entries(template.Outputs as Record<string, any>).filter(([id]) => id.startsWith('Archive'));
    // Assess
    expect(archive.length).toBeGreaterThanOrEqual(10);
    for (const [, resource] of [...archive, ...outputs]) expect(['ArchiveOn', 'ArchiveCreatesBucket']).toContain(resource.Condition);
    expect(template.Parameters.ArchiveEnabled.Default).toBe('false');
  });
});

describe('Firehose role', () => {
  it.each(VARIANTS)('allows what Firehose needs and nothing more (%j)', (conditions) => {
    // Prepare
    const { statements, managedPolicyArns } = rolePolicyStatements(translated, 'ArchiveDeliveryRole', conditions);
    // Act
    const result = analyseRole({ codeActions: [], serviceActions: firehoseNeeds(conditions), statements, managedPolicyArns, starResourceActions: [] });
    // Assess
    expect(result).toEqual({ missing: [], unused: [], problems: [] });
  });

  it('reads only the change stream, writes only the archive prefixes and its own log stream', () => {
    // Prepare
    const { statements } = rolePolicyStatements(translated, 'ArchiveDeliveryRole', { HasStreamCmk: true, ArchiveCreatesBucket: true });
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    const bucketArn = { 'Fn::GetAtt': ['ArchiveBucket', 'Arn'] };
    // Assess
    expect(bySid.ReadChangeStream.Resource).toEqual({ 'Fn::GetAtt': ['ChangeStream', 'Arn'] });
    expect(bySid.LocateArchiveBucket.Resource).toEqual({ 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}', { Bucket: { Ref: 'ArchiveBucket' } }] });
    expect(bySid.WriteArchiveObjects.Resource).toEqual([
      { 'Fn::Sub': ['${Bucket}/changes/*', { Bucket: bucketArn }] },
      { 'Fn::Sub': ['${Bucket}/errors/*', { Bucket: bucketArn }] },
    ]);
    expect(bySid.WriteDeliveryLogs.Resource['Fn::Sub']).toMatch(/:log-group:\$\{ArchiveLogGroup\}:log-stream:\$\{ArchiveLogStream\}$/);
    expect(bySid.DecryptChangeStream.Condition.StringEquals['kms:ViaService']).toEqual({ 'Fn::Sub': 'kinesis.${AWS::Region}.amazonaws.com' });
    expect(bySid.EncryptArchiveObjects.Condition.StringEquals['kms:ViaService']).toEqual({ 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' });
  });

  it('can only be assumed by Firehose for this account', () => {
    // Prepare
    const trust = resources.ArchiveDeliveryRole.Properties.AssumeRolePolicyDocument.Statement;
    // Assess
    expect(trust).toEqual([
      { Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } } },
    ]);
  });
});

describe('bucket', () => {
  const bucket = resources.ArchiveBucket.Properties;

  it('is private, encrypted (with the stream key when it is a CMK), TLS-only and unversioned', () => {
    // Prepare
    const [encryption] = bucket.BucketEncryption.ServerSideEncryptionConfiguration;
    const policy = resources.ArchiveBucketPolicy.Properties.PolicyDocument.Statement;
    // Assess
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(encryption['Fn::If'][0]).toBe('HasStreamCmk');
    expect(encryption['Fn::If'][1].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { Ref: 'KinesisKmsKeyArn' } });
    expect(encryption['Fn::If'][2].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(policy).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(bucket.VersioningConfiguration).toBeUndefined();
  });

  it('moves to Glacier and expires only when asked (0 = off)', () => {
    // Prepare
    const [rule] = bucket.LifecycleConfiguration.Rules;
    // Assess
    expect(rule.Transitions['Fn::If'][0]).toBe('ArchiveHasGlacier');
    expect(rule.ExpirationInDays).toEqual({ 'Fn::If': ['ArchiveHasExpiry', { Ref: 'ArchiveExpireAfterDays' }, { Ref: 'AWS::NoValue' }] });
    expect(template.Conditions.ArchiveHasGlacier).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ArchiveGlacierAfterDays' }, 0] }] });
    expect([template.Parameters.ArchiveGlacierAfterDays.Default, template.Parameters.ArchiveExpireAfterDays.Default]).toEqual([0, 0]);
  });
});

describe('delivery stream and Glue table agree', () => {
  const firehose = resources.ArchiveDeliveryStream.Properties;
  const table = resources.ArchiveTable.Properties.TableInput;
  const config = loadArchiveDeliveryConfig();

  it('reads the change stream and writes gzip JSON lines with a buffer dynamic partitioning accepts', () => {
    // Assess
    expect(firehose.DeliveryStreamType).toBe('KinesisStreamAsSource');
    expect(firehose.KinesisStreamSourceConfiguration.KinesisStreamARN).toEqual({ 'Fn::GetAtt': ['ChangeStream', 'Arn'] });
    expect(config).toMatchObject({ compression: 'GZIP', delimiter: '\n', jsonParsingEngine: 'JQ-1.6', fileExtension: '.gz' });
    expect(config.bufferSizeMiB).toBeGreaterThanOrEqual(64); // the minimum with dynamic partitioning
    expect(firehose.ExtendedS3DestinationConfiguration.DynamicPartitioningConfiguration.Enabled).toBe(true);
    expect(firehose.ExtendedS3DestinationConfiguration.CloudWatchLoggingOptions.Enabled).toBe(true);
    expect(config.errorOutputPrefix).toContain('!{firehose:error-output-type}');
  });

  it("the Hive prefix, the JQ query's keys and the table's partition keys and location template are the same", () => {
    // Prepare
    const fromPrefix = [...config.prefix.matchAll(/([a-z]+)=!\{partitionKeyFromQuery:([a-z]+)\}/g)].map((match) => [match[1], match[2]]);
    const fromQuery = [...config.metadataExtractionQuery.matchAll(/([a-z]+):/g)].map((match) => match[1]);
    const template = table.Parameters['storage.location.template']['Fn::Sub'][0] as string;
    // Assess
    expect(fromPrefix).toEqual([['table', 'table'], ['date', 'date']]);
    expect(fromQuery).toEqual(['table', 'date']);
    expect(table.PartitionKeys.map((key: { Name: string }) => key.Name)).toEqual(['table', 'date']);
    expect(template).toBe(`s3://\${Bucket}/${config.prefix.replace(/!\{partitionKeyFromQuery:([a-z]+)\}/g, '${!$1}')}`);
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(table.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.table.type': 'injected', 'projection.date.type': 'date', 'projection.date.format': 'yyyy-MM-dd' });
  });

  it('the table has a column for every field of the change event schema except the partition column', () => {
    // Prepare
    const schema = require('../../schema/change-event.v1.json') as { properties: Record<string, unknown> };
    const columns = table.StorageDescriptor.Columns.map((column: { Name: string }) => column.Name);
    // Assess
    const missing = Object.keys(schema.properties).map((name) => name.toLowerCase()).filter((name) => name !== 'table' && !columns.includes(name));
    expect(missing).toEqual([]);
  });
});
