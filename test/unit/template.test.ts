/**
 * template.yaml proven without an AWS account: cfn-lint, parameters, IAM sufficiency and
 * minimality against the SDK calls in each function's bundle, the environment each
 * function reads, handlers that resolve in the built bundles, metric names the code emits.
 * Needs cfn-lint 1.x (with the SAM translator) on PATH: the test fails with an install hint
 * if it is missing, it never skips.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { bundledSourceFiles, codeActions, runCfnLint, translateTemplate } from '../../scripts/check-template.mjs';
import { functionBuilds } from '../../scripts/esbuild-options.mjs';
import { analyseRole, rolePolicyStatements, SDK_PACKAGE_PREFIX, sdkOperationsInSource, type ServiceAction } from '../../scripts/iam-check.mjs';
import { BACKFILL_ENV, loadBackfillConfig } from '../../src/config/backfill';
import { BACKFILL_STARTER_ENV, loadBackfillStarterConfig } from '../../src/config/backfill-starter';
import { FORWARDER_ENV, loadForwarderConfig } from '../../src/config/forwarder';
import { ORIGIN_ENV } from '../../src/config/origin';
import { OBSERVABILITY_ENV } from '../../src/config/observability';
import { RECONCILER_ENV, loadReconcilerConfig } from '../../src/config/reconciler';
import { TEARDOWN_ENV } from '../../src/config/teardown';
import { REDRIVER_ENV, loadRedriverConfig } from '../../src/config/redriver';
import { buildFunctions, loadHandler, loadProjectTemplate, localEnvironment, readEnvJson, ROOT, TEMPLATE_PATH, type BuiltFunction } from '../support/sam-local';

/** Environment variables each config module reads; a bundle that contains the module reads them. */
const CONFIG_ENV: Record<string, readonly string[]> = {
  'src/config/forwarder.ts': FORWARDER_ENV,
  'src/config/reconciler.ts': RECONCILER_ENV,
  'src/config/backfill.ts': Object.values(BACKFILL_ENV),
  'src/config/backfill-starter.ts': Object.values(BACKFILL_STARTER_ENV),
  'src/config/origin.ts': ORIGIN_ENV,
  'src/config/observability.ts': OBSERVABILITY_ENV,
  'src/config/teardown.ts': TEARDOWN_ENV,
  'src/config/redriver.ts': REDRIVER_ENV,
};

/** Variables Lambda sets itself: code may read them, the template must not declare them. */
const isLambdaReserved = (name: string) => name.startsWith('AWS_') && !name.startsWith('AWS_ENDPOINT_URL_');

/** The AWS_ENDPOINT_URL_<SERVICE> variable of each SDK client package (service id, upper case, spaces as _). */
const ENDPOINT_VARIABLE: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'AWS_ENDPOINT_URL_DYNAMODB',
  '@aws-sdk/client-dynamodb-streams': 'AWS_ENDPOINT_URL_DYNAMODB_STREAMS',
  '@aws-sdk/client-kinesis': 'AWS_ENDPOINT_URL_KINESIS',
  '@aws-sdk/client-lambda': 'AWS_ENDPOINT_URL_LAMBDA',
  '@aws-sdk/client-application-auto-scaling': 'AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING',
  '@aws-sdk/client-eventbridge': 'AWS_ENDPOINT_URL_EVENTBRIDGE',
  '@aws-sdk/client-sqs': 'AWS_ENDPOINT_URL_SQS',
};

/**
 * Actions without resource-level permissions: granted on Resource "*" alone, never narrower (a narrower Resource
 * grants nothing). Source: the Service Authorization Reference, whose Actions tables list no resource type for them,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html (ListTables, ListStreams),
 * .../list_awslambda.html, .../list_applicationautoscaling.html.
 */
const STAR_RESOURCE_ACTIONS = [
  'dynamodb:ListTables',
  // Lambda's event source mapping poller calls it with the forwarder's role.
  'dynamodb:ListStreams',
  'lambda:ListEventSourceMappings',
  // Authorised on "*" and narrowed by the lambda:FunctionArn condition (checked below).
  'lambda:CreateEventSourceMapping',
  'application-autoscaling:DescribeScalableTargets',
  'application-autoscaling:DescribeScalingPolicies',
];

/** The deployment variants whose policies differ. */
const CONDITION_VARIANTS = [
  { HasStreamCmk: false, CreateTrail: true, HasAlarmEmail: false, ProvisionedStream: false },
  { HasStreamCmk: true, CreateTrail: false, HasAlarmEmail: true, ProvisionedStream: true },
];

const FUNCTIONS = ['ForwarderFunction', 'ReconcilerFunction', 'SnapshotFunction', 'TeardownFunction', 'RedriverFunction'] as const;

const template = loadProjectTemplate();
let translated: Record<string, any>;
let lint: Promise<{ status: number; output: string }>;
let sources: Record<string, string[]>;
let built: { functions: Record<string, BuiltFunction>; cleanup: () => void };

beforeAll(async () => {
  // cfn-lint, the SAM translation and the bundling are independent: run them side by side.
  lint = runCfnLint(TEMPLATE_PATH);
  lint.catch(() => undefined); // awaited (and reported) by the cfn-lint test
  [translated, sources, built] = await Promise.all([translateTemplate(TEMPLATE_PATH), bundledSourceFiles(TEMPLATE_PATH), buildFunctions()]);
}, 120_000);

afterAll(() => built?.cleanup());

const rel = (file: string) => relative(ROOT, file);

function envVarsReadBy(logicalId: string): Set<string> {
  const names = new Set<string>();
  for (const file of sources[logicalId]!.map(rel)) {
    for (const name of CONFIG_ENV[file] ?? []) names.add(name);
    // Direct reads outside the config modules count too.
    const text = readFileSync(`${ROOT}/${file}`, 'utf8');
    for (const match of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) names.add((match[1] ?? match[2])!);
  }
  return names;
}

function sdkPackagesUsedBy(logicalId: string): Set<string> {
  const packages = new Set<string>();
  for (const file of sources[logicalId]!) {
    for (const { pkg } of sdkOperationsInSource(readFileSync(file, 'utf8'), file)) packages.add(pkg);
  }
  return packages;
}

function declaredEnv(logicalId: string): Record<string, unknown> {
  return translated.Resources[logicalId].Properties.Environment?.Variables ?? {};
}

describe('cfn-lint', () => {
  it('passes template.yaml with no errors and no warnings', async () => {
    // Act
    const { status, output } = await lint;
    // Assess
    expect(output).toBe('');
    expect(status).toBe(0);
   }, 120_000);
});

describe('parameters', () => {
  const entries = Object.entries(template.Parameters as Record<string, any>);

  it.each(entries)('%s has a description, a default and a constraint the default meets', (_name, parameter) => {
    // Assess
    expect(parameter.Description).toEqual(expect.any(String));
    expect(parameter.Default).toBeDefined();
    const constraints = ['AllowedValues', 'AllowedPattern', 'MinValue'].filter((key) => key in parameter);
    expect(constraints.length).toBeGreaterThan(0);
    const value = String(parameter.Default);
    if (parameter.AllowedValues) expect(parameter.AllowedValues.map(String)).toContain(value);
    if (parameter.AllowedPattern) expect(value).toMatch(new RegExp(parameter.AllowedPattern));
    if ('MinValue' in parameter) expect(Number(value)).toBeGreaterThanOrEqual(parameter.MinValue);
    if ('MaxValue' in parameter) expect(Number(value)).toBeLessThanOrEqual(parameter.MaxValue);
  });

  it('every parameter is used', () => {
    // Prepare
    const text = readFileSync(TEMPLATE_PATH, 'utf8').replace(/^Parameters:[\s\S]*?^Conditions:/m, '');
    // Assess
    const unused = entries.map(([name]) => name).filter((name) => !new RegExp(`(!Ref ${name}\\b|\\$\\{${name}\\}|Ref: ${name}\\b)`).test(text));
    expect(unused).toEqual([]);
  });
});

describe('functions', () => {
  it.each(FUNCTIONS)('%s keeps the esbuild Metadata shape that npm run build and sam build share', (logicalId) => {
    // Prepare
    const resource = template.Resources[logicalId];
    const fnBuild = functionBuilds(TEMPLATE_PATH).find((candidate) => candidate.logicalId === logicalId);
    // Assess
    expect(resource.Metadata.BuildMethod).toBe('esbuild');
    expect(resource.Metadata.BuildProperties.EntryPoints).toHaveLength(1);
    expect(resource.Properties.Handler).toBe(`${fnBuild!.outputName}.handler`);
    expect(translated.Resources[logicalId].Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it.each(FUNCTIONS)('%s: Handler resolves to an exported function in the built bundle', (logicalId) => {
    // Act
    const handler = loadHandler(built.functions[logicalId]!);
    // Assess
    expect(typeof handler).toBe('function');
  });
});

describe('environment', () => {
  it.each(FUNCTIONS)('%s declares exactly the variables its code reads (so --env-vars can override them)', (logicalId) => {
    // Prepare
    const read = [...envVarsReadBy(logicalId)].filter((name) => !isLambdaReserved(name));
    const declared = Object.keys(declaredEnv(logicalId)).filter((name) => !name.startsWith('AWS_ENDPOINT_URL_'));
    // Assess
    expect(read.length).toBeGreaterThan(0);
    expect({ notDeclared: read.filter((name) => !declared.includes(name)).sort(), notRead: declared.filter((name) => !read.includes(name)).sort() }).toEqual({
      notDeclared: [],
      notRead: [],
    });
  });

  it.each(FUNCTIONS)('%s bundles no configuration module this check does not know', (logicalId) => {
    // Prepare
    const configModules = sources[logicalId]!.map(rel).filter((file) => file.startsWith('src/config/') && file !== 'src/config/env.ts');
    // Assess: a new module's variables must be added to CONFIG_ENV, or the env check above would miss them
    expect(configModules.filter((file) => !(file in CONFIG_ENV))).toEqual([]);
    expect(configModules.length).toBeGreaterThan(0);
  });

  it.each(FUNCTIONS)('%s declares AWS_ENDPOINT_URL_<SERVICE> (empty) for each SDK client it uses, and no other', (logicalId) => {
    // Prepare
    const expected = [...sdkPackagesUsedBy(logicalId)].map((pkg) => ENDPOINT_VARIABLE[pkg]).sort();
    const declared = Object.entries(declaredEnv(logicalId)).filter(([name]) => name.startsWith('AWS_ENDPOINT_URL_'));
    // Assess
    expect(declared.map(([name]) => name).sort()).toEqual(expected);
    expect(declared.every(([, value]) => value === '')).toBe(true);
    expect(Object.keys(declaredEnv(logicalId)).filter(isLambdaReserved)).toEqual([]);
  });

  it.each(FUNCTIONS)('%s: events/env.json only sets declared variables and gives every resource-valued one', (logicalId) => {
    // Act
    const local = localEnvironment(template, logicalId, readEnvJson());
    // Assess
    expect({ ignored: local.ignored, unresolved: local.unresolved }).toEqual({ ignored: [], unresolved: [] });
  });

  it('the template values (parameter defaults) and env.json load as valid configurations', () => {
    // Prepare
    const envJson = readEnvJson();
    const forwarder = localEnvironment(template, 'ForwarderFunction', envJson).env;
    const reconciler = localEnvironment(template, 'ReconcilerFunction', envJson).env;
    const snapshot = localEnvironment(template, 'SnapshotFunction', envJson).env;
    // Act & Assess
    expect(loadForwarderConfig(forwarder).metricsNamespace).toBe('DmsEventBus');
    expect(loadReconcilerConfig(reconciler).capacity.mode).toBe(template.Parameters.CapacityMode.Default);
    expect(loadBackfillStarterConfig(reconciler)).toMatchObject({
      stateTable: envJson.ReconcilerFunction!.BACKFILL_STATE_TABLE,
      snapshotFunctionName: envJson.ReconcilerFunction!.SNAPSHOT_FUNCTION_NAME,
    });
    expect(loadBackfillConfig(snapshot).stateTable).toBe(envJson.SnapshotFunction!.BACKFILL_STATE_TABLE);
    expect(loadRedriverConfig(localEnvironment(template, 'RedriverFunction', envJson).env).queueUrl).toBe(envJson.RedriverFunction!.DEAD_LETTER_QUEUE_URL);
  });
});

describe('IAM', () => {
  const forwarderArn = { 'Fn::GetAtt': ['ForwarderFunction', 'Arn'] };

  /** What AWS itself does with a function's role, given the actions its code calls. */
  function serviceActions(logicalId: string, code: Set<string>, conditions: Record<string, boolean>): ServiceAction[] {
    const needed: ServiceAction[] = [];
    const isMappingTarget = FUNCTIONS.some((caller) => JSON.stringify(declaredEnv(caller).FORWARDER_FUNCTION_ARN) === JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] }));
    if (isMappingTarget) {
      for (const action of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']) {
        needed.push({ action, why: "Lambda's event source mapping poller reads the DynamoDB stream with the target function's role" });
      }
      needed.push({ action: 'sqs:SendMessage', why: "the mappings' on-failure destination is written with the target function's role" });
    }
    const sqsMappings = Object.values(translated.Resources as Record<string, any>).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventSourceMapping' && resource.Properties.FunctionName?.Ref === logicalId && JSON.stringify(resource.Properties.EventSourceArn).includes('Queue'),
    );
    if (sqsMappings.length > 0) {
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
        needed.push({ action, why: "Lambda's SQS event source mapping polls the queue with the target function's role" });
      }
    }
    const invokeConfig = translated.Resources[`${logicalId}EventInvokeConfig`]?.Properties ?? translated.Resources[logicalId].Properties.EventInvokeConfig;
    if (invokeConfig?.DestinationConfig?.OnFailure) {
      needed.push({ action: 'sqs:SendMessage', why: 'asynchronous-invocation on-failure destination' });
    }
    if (code.has('application-autoscaling:RegisterScalableTarget')) {
      needed.push({ action: 'iam:CreateServiceLinkedRole', why: 'the first RegisterScalableTarget creates the DynamoDB auto scaling service-linked role' });
    }
    if (code.has('application-autoscaling:PutScalingPolicy')) {
      for (const action of ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms']) {
        needed.push({ action, why: 'target tracking policies create and delete their CloudWatch alarms with the caller permissions' });
      }
    }
    if (code.has('application-autoscaling:DeleteScalingPolicy') || code.has('application-autoscaling:DeregisterScalableTarget')) {
      for (const action of ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms']) {
        needed.push({ action, why: 'deleting a target tracking policy deletes its CloudWatch alarms with the caller permissions' });
      }
    }
    if (conditions.HasStreamCmk && code.has('kinesis:PutRecords')) {
      needed.push({ action: 'kms:GenerateDataKey', why: 'producers to a stream encrypted with a customer managed key' });
    }
    return needed;
  }

  const cases = FUNCTIONS.flatMap((logicalId) => CONDITION_VARIANTS.map((conditions) => [logicalId, conditions] as const));

  it.each(cases)("%s's role allows every call its code makes and nothing more (%j)", (logicalId, conditions) => {
    // Prepare
    const code = codeActions(sources[logicalId]!);
    const { statements, managedPolicyArns } = rolePolicyStatements(translated, `${logicalId}Role`, conditions);
    // Act
    const result = analyseRole({
      codeActions: [...code.keys()],
      serviceActions: serviceActions(logicalId, new Set(code.keys()), conditions),
      statements,
      managedPolicyArns,
      allowedManagedPolicies: ['service-role/AWSLambdaBasicExecutionRole'],
      starResourceActions: STAR_RESOURCE_ACTIONS,
    });
    // Assess
    expect(code.size).toBeGreaterThan(0);
    expect(result).toEqual({ missing: [], unused: [], problems: [] });
  });

  it.each(['ReconcilerFunctionRole', 'TeardownFunctionRole'])('%s: event source mapping permissions are limited to the forwarder by lambda:FunctionArn', (role) => {
    // Prepare
    const { statements } = rolePolicyStatements(translated, role, CONDITION_VARIANTS[0]);
    const mappingStatements = statements.filter((statement) =>
      ([] as string[]).concat(statement.Action as string[]).some((action) => /^lambda:(Create|Update|Delete|Get)EventSourceMapping$/.test(action)),
    );
    // Assess
    expect(mappingStatements.length).toBeGreaterThan(0);
    for (const statement of mappingStatements) expect(statement.Condition).toEqual({ StringEquals: { 'lambda:FunctionArn': forwarderArn } });
  });

  it('the teardown role may only stop the reconciler, and creates nothing a release does not need', () => {
    // Prepare
    const { statements } = rolePolicyStatements(translated, 'TeardownFunctionRole', CONDITION_VARIANTS[0]);
    const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action as string[]));
    const resourceOf = (action: string) => statements.filter((statement) => ([] as string[]).concat(statement.Action as string[]).includes(action)).map((statement) => statement.Resource);
    // Assess
    expect(resourceOf('lambda:PutFunctionConcurrency')).toEqual([{ 'Fn::GetAtt': ['ReconcilerFunction', 'Arn'] }]);
    expect(resourceOf('lambda:InvokeFunction')).toEqual([{ 'Fn::GetAtt': ['TeardownFunction', 'Arn'] }]);
    for (const creating of ['lambda:CreateEventSourceMapping', 'application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy', 'dynamodb:TagResource']) {
      expect(actions).not.toContain(creating);
    }
  });

  it('the service-linked role may only be created for DynamoDB auto scaling', () => {
    // Prepare
    const { statements } = rolePolicyStatements(translated, 'ReconcilerFunctionRole', CONDITION_VARIANTS[0]);
    const slr = statements.filter((statement) => ([] as string[]).concat(statement.Action as string[]).includes('iam:CreateServiceLinkedRole'));
    // Assess
    expect(slr).toHaveLength(1);
    expect(slr[0]!.Condition).toEqual({ StringLike: { 'iam:AWSServiceName': 'dynamodb.application-autoscaling.amazonaws.com' } });
    expect(JSON.stringify(slr[0]!.Resource)).toContain('AWSServiceRoleForApplicationAutoScaling_DynamoDBTable');
  });

  it('the forwarder writes only to its own stream and its own dead-letter queue', () => {
    // Prepare
    const { statements } = rolePolicyStatements(translated, 'ForwarderFunctionRole', CONDITION_VARIANTS[0]);
    const resourceOf = (action: string) => statements.filter((statement) => ([] as string[]).concat(statement.Action as string[]).includes(action)).map((statement) => statement.Resource);
    // Assess
    expect(resourceOf('kinesis:PutRecords')).toEqual([{ 'Fn::GetAtt': ['ChangeStream', 'Arn'] }]);
    expect(resourceOf('sqs:SendMessage')).toEqual([{ 'Fn::GetAtt': ['ForwarderDeadLetterQueue', 'Arn'] }]);
    expect(declaredEnv('ReconcilerFunction').FORWARDER_DLQ_ARN).toEqual({ 'Fn::GetAtt': ['ForwarderDeadLetterQueue', 'Arn'] });
  });

  it('SDK client packages in the bundles all have a known IAM prefix', () => {
    // Assess
    for (const logicalId of FUNCTIONS) for (const pkg of sdkPackagesUsedBy(logicalId)) expect(SDK_PACKAGE_PREFIX).toHaveProperty([pkg]);
  });
});

describe('triggers', () => {
  const events = (name: string) => JSON.parse(readFileSync(`${ROOT}/events/${name}`, 'utf8')) as Record<string, unknown>;
  const reconcilerEvents = template.Resources.ReconcilerFunction.Properties.Events;

  /** EventBridge content matching for the operators the rule uses: value lists and `exists`. */
  function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
    return Object.entries(pattern).every(([key, rule]) => {
      const value = event[key];
      if (Array.isArray(rule)) {
        return rule.some((option) => {
          if (option && typeof option === 'object' && 'exists' in option) return (value !== undefined) === (option as { exists: boolean }).exists;
          return Array.isArray(value) ? value.includes(option) : value === option;
        });
      }
      return value !== null && typeof value === 'object' && matches(rule as Record<string, unknown>, value as Record<string, unknown>);
    });
  }

  it.each([
    ['cloudtrail-create-table.json', true],
    ['cloudtrail-create-table-gsi.json', true],
    ['cloudtrail-update-table.json', true],
    ['cloudtrail-delete-table.json', true],
    ['cloudtrail-create-table-failed.json', false],
  ])('the CloudTrail rule matches %s: %s', (sample, expected) => {
    // Act & Assess
    expect(matches(reconcilerEvents.TableApiCalls.Properties.Pattern, events(sample))).toBe(expected);
  });

  it('the CloudTrail rule ignores other DynamoDB calls and other services', () => {
    // Prepare
    const create = events('cloudtrail-create-table.json') as { detail: Record<string, unknown> };
    const putItem = { ...create, detail: { ...create.detail, eventName: 'UpdateTimeToLive' } };
    const s3 = { ...create, source: 'aws.s3', detail: { ...create.detail, eventSource: 's3.amazonaws.com', eventName: 'CreateBucket' } };
    // Act & Assess
    expect(matches(reconcilerEvents.TableApiCalls.Properties.Pattern, putItem)).toBe(false);
    expect(matches(reconcilerEvents.TableApiCalls.Properties.Pattern, s3)).toBe(false);
  });

  it('the Changes Lost rule on the announcement bus matches events/changes-lost.json and nothing the reconciler announces', () => {
    // Prepare
    const rule = reconcilerEvents.ChangesLost.Properties;
    const sample = events('changes-lost.json');
    // Act & Assess
    expect(rule.EventBusName).toEqual({ Ref: 'EventBusName' });
    expect(matches(rule.Pattern, sample)).toBe(true);
    expect(matches(rule.Pattern, { ...sample, 'detail-type': 'Table Ready' })).toBe(false);
    expect(matches(rule.Pattern, { ...sample, source: 'aws.dynamodb' })).toBe(false);
  });

  it('the sweep schedule delivers exactly events/scheduled-sweep.json', () => {
    // Act & Assess
    expect(JSON.parse(reconcilerEvents.Sweep.Properties.Input)).toEqual(events('scheduled-sweep.json'));
  });
});

describe('metrics', () => {
  /** Each function's EMF `service` dimension. */
  const SERVICE_FUNCTION: Record<string, (typeof FUNCTIONS)[number]> = { forwarder: 'ForwarderFunction', reconciler: 'ReconcilerFunction', snapshot: 'SnapshotFunction', teardown: 'TeardownFunction', redriver: 'RedriverFunction' };

  /** String literals in a function's sources; a template literal counts by its text before the first `${`. */
  function literals(logicalId: string): { exact: Set<string>; prefixes: string[] } {
    const exact = new Set<string>();
    const prefixes: string[] = [];
    for (const file of sources[logicalId]!) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/'([^'\n]*)'|"([^"\n]*)"/g)) exact.add((match[1] ?? match[2])!);
      for (const match of text.matchAll(/`([^`$]*)\$\{/g)) if (match[1]) prefixes.push(match[1]);
    }
    return { exact, prefixes };
  }

  /** Every (metric, service) pair the dashboard and alarms read in the DmsEventBus namespace. */
  function templateMetrics(): [string, string][] {
    const pairs: [string, string][] = [];
    for (const resource of Object.values(template.Resources as Record<string, any>)) {
      if (resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties.Namespace === 'DmsEventBus') {
        pairs.push([resource.Properties.MetricName, resource.Properties.Dimensions.find((d: any) => d.Name === 'service').Value]);
      }
      if (resource.Type === 'AWS::CloudWatch::Dashboard') {
        const body = resource.Properties.DashboardBody['Fn::Sub'][0] as string;
        for (const match of body.matchAll(/\["DmsEventBus", "([^"]+)", "service", "([^"]+)"/g)) pairs.push([match[1]!, match[2]!]);
      }
    }
    return pairs;
  }

  it('alarms and dashboard read only metrics the code emits, under the service that emits them', () => {
    // Prepare
    const pairs = templateMetrics();
    // Act
    const unknown = pairs.filter(([metric, service]) => {
      const logicalId = SERVICE_FUNCTION[service];
      if (!logicalId) return true;
      const { exact, prefixes } = literals(logicalId);
      return !exact.has(metric) && !prefixes.some((prefix) => prefix.endsWith('.') && metric.startsWith(prefix));
    });
    // Assess
    expect(pairs.length).toBeGreaterThan(5);
    expect(unknown).toEqual([]);
  });
});

describe('teardown custom resource', () => {
  const teardown = template.Resources.Teardown;

  it('is deleted before the forwarder, the reconciler and its own continuation policy', () => {
    // Assess: CloudFormation deletes a resource before the resources it references or depends on
    expect(teardown.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': ['TeardownFunction', 'Arn'] });
    expect(teardown.Properties.ForwarderFunctionArn).toEqual({ 'Fn::GetAtt': ['ForwarderFunction', 'Arn'] });
    expect(teardown.Properties.ReconcilerFunctionName).toEqual({ Ref: 'ReconcilerFunction' });
    expect(teardown.DependsOn).toContain('TeardownSelfInvokePolicy');
  });

  it('waits out exactly the reconciler timeout, and CloudFormation waits the maximum hour for it', () => {
    // Assess
    expect(Number(teardown.Properties.ReconcilerTimeoutSeconds)).toBe(template.Resources.ReconcilerFunction.Properties.Timeout);
    expect(teardown.Properties.ServiceTimeout).toBe(3600);
    expect(template.Resources.TeardownFunction.Properties.Timeout).toBe(900);
  });

  it('keeps the streams by default (DisableStreamsOnDelete false)', () => {
    // Assess
    expect(template.Parameters.DisableStreamsOnDelete.Default).toBe('false');
    expect(teardown.Properties.DisableStreams).toEqual({ Ref: 'DisableStreamsOnDelete' });
  });
});

describe('nothing lost', () => {
  it('the redriver consumes only the forwarder dead-letter queue, with partial batch responses, and may wait the visibility timeout out', () => {
    // Prepare
    const mapping = template.Resources.RedriverDeadLetterMapping.Properties;
    const queue = template.Resources.ForwarderDeadLetterQueue.Properties;
    // Assess
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['ForwarderDeadLetterQueue', 'Arn'] });
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // Lambda: the queue's visibility timeout must be at least the function timeout (six times recommended).
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * template.Resources.RedriverFunction.Properties.Timeout);
    expect(queue.MessageRetentionPeriod).toBeGreaterThan(24 * 3600);
  });

  it('the mapping defaults retry until success and never split batches', () => {
    // Assess
    expect(template.Parameters.EsmMaxRetryAttempts.Default).toBe(-1);
    expect(String(template.Parameters.EsmMaxRecordAgeSeconds.Default)).toBe('-1');
    expect(template.Parameters.EsmBisectOnError.Default).toBe('false');
    expect(loadReconcilerConfig({ FORWARDER_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:f' }).mapping).toMatchObject({ maxRetryAttempts: -1, maxRecordAgeSeconds: -1, bisectOnError: false });
  });

  it.each([
    ['ForwarderIteratorAgeWarningAlarm', 'IteratorAge', 3_600_000],
    ['ForwarderIteratorAgeCriticalAlarm', 'IteratorAge', 21_600_000],
    ['ForwarderDeadLetterAgeWarningAlarm', 'ApproximateAgeOfOldestMessage', 3_600],
    ['ForwarderDeadLetterAgeCriticalAlarm', 'ApproximateAgeOfOldestMessage', 21_600],
  ])('%s escalates on %s above %s, well before the 24 h stream retention', (logicalId, metric, threshold) => {
    // Prepare
    const alarm = template.Resources[logicalId].Properties;
    // Assess
    expect(alarm).toMatchObject({ MetricName: metric, Threshold: threshold, Statistic: 'Maximum', AlarmActions: [{ Ref: 'AlarmTopic' }] });
  });
});
