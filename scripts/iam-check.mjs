// IAM sufficiency and minimality, as pure functions over plain data: which AWS actions a
// function's code can call (from the AWS SDK v3 commands its sources import), which actions AWS
// itself needs on the function's role, and what the function's policies in the (SAM-translated)
// template allow. Used by test/unit/template*.test.ts and scripts/check-template.mjs.

/** IAM service prefix of each AWS SDK v3 client package (DynamoDB Streams is authorised as dynamodb:*). */
export const SDK_PACKAGE_PREFIX = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-dynamodb-streams': 'dynamodb',
  '@aws-sdk/client-kinesis': 'kinesis',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-kms': 'kms',
  '@aws-sdk/client-s3': 's3',
};

/** Operations whose IAM action is not named like the operation. */
const ACTION_RENAMES = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  'lambda:InvokeWithResponseStream': 'lambda:InvokeFunction',
};

/** The operation each SDK waiter polls (waiters import no Command class). */
const WAITER_OPERATIONS = {
  waitUntilTableExists: 'DescribeTable',
  waitUntilTableNotExists: 'DescribeTable',
  waitForTableExists: 'DescribeTable',
  waitForTableNotExists: 'DescribeTable',
  waitUntilStreamExists: 'DescribeStream',
  waitUntilStreamNotExists: 'DescribeStream',
  waitUntilFunctionActive: 'GetFunctionConfiguration',
  waitUntilFunctionActiveV2: 'GetFunction',
  waitUntilFunctionUpdated: 'GetFunctionConfiguration',
  waitUntilFunctionUpdatedV2: 'GetFunction',
};

/** Raised when a source uses the SDK in a way the static analysis cannot see through. */
export class UnanalysableSdkUseError extends Error {
  name = 'UnanalysableSdkUseError';
}

const NAMED_IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/client-[a-z0-9-]+)['"]/g;
const OPAQUE_IMPORT = /import\s+\*\s+as\s+\w+\s+from\s*['"](@aws-sdk\/client-[a-z0-9-]+)['"]|require\(\s*['"](@aws-sdk\/client-[a-z0-9-]+)['"]\s*\)|import\(\s*['"](@aws-sdk\/client-[a-z0-9-]+)['"]\s*\)/;

/**
 * The AWS operations one source file can call: every `XxxCommand`, `paginateXxx` and waiter it
 * imports (as a value, not `import type`) from an `@aws-sdk/client-*` package.
 * @param {string} source TypeScript or JavaScript text
 * @param {string} [fileName] for error messages
 * @returns {{ pkg: string, operation: string }[]}
 */
export function sdkOperationsInSource(source, fileName = '<source>') {
  const opaque = OPAQUE_IMPORT.exec(source);
  if (opaque) {
    throw new UnanalysableSdkUseError(`${fileName}: ${opaque[0]}: import the commands by name so their IAM actions can be checked`);
  }
  const found = [];
  for (const match of source.matchAll(NAMED_IMPORT)) {
    if (match[1]) continue; // import type { ... }: no call possible
    const pkg = match[3];
    for (const rawSpecifier of match[2].split(',')) {
      const specifier = rawSpecifier.trim();
      if (specifier === '' || specifier.startsWith('type ')) continue;
      const name = specifier.split(/\s+as\s+/)[0].trim();
      let operation;
      if (/^[A-Z]\w*Command$/.test(name)) operation = name.slice(0, -'Command'.length);
      else if (/^paginate[A-Z]\w*$/.test(name)) operation = name.slice('paginate'.length);
      else if (name in WAITER_OPERATIONS) operation = WAITER_OPERATIONS[name];
      else if (/^wait(Until|For)[A-Z]/.test(name)) {
        throw new UnanalysableSdkUseError(`${fileName}: waiter ${name} is not in WAITER_OPERATIONS (scripts/iam-check.mjs)`);
      }
      if (operation) found.push({ pkg, operation });
    }
  }
  return found;
}

/**
 * The IAM action that authorises an SDK operation.
 * @param {string} pkg e.g. @aws-sdk/client-dynamodb-streams
 * @param {string} operation e.g. GetRecords
 */
export function iamActionFor(pkg, operation) {
  const prefix = SDK_PACKAGE_PREFIX[pkg];
  if (!prefix) throw new UnanalysableSdkUseError(`${pkg}: no IAM service prefix known (add it to SDK_PACKAGE_PREFIX)`);
  const action = `${prefix}:${operation}`;
  return ACTION_RENAMES[action] ?? action;
}

/**
 * The policy statements attached to one role of a translated (plain CloudFormation) template:
 * the role's inline Policies plus every AWS::IAM::Policy that lists the role. `Fn::If` is resolved
 * with the given condition values, so each deployment variant is checked on its own.
 * @param {Record<string, any>} template translated template
 * @param {string} roleLogicalId
 * @param {Record<string, boolean>} conditions
 * @returns {{ statements: any[], managedPolicyArns: any[] }}
 */
export function rolePolicyStatements(template, roleLogicalId, conditions = {}) {
  const resources = template.Resources ?? {};
  const role = resources[roleLogicalId];
  if (!role || role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not an AWS::IAM::Role in the template`);
  const documents = (role.Properties.Policies ?? []).map((policy) => policy.PolicyDocument);
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    if (resource.Condition && !conditions[resource.Condition]) continue;
    const roles = resource.Properties.Roles ?? [];
    if (roles.some((ref) => ref?.Ref === roleLogicalId)) documents.push(resource.Properties.PolicyDocument);
  }
  const statements = documents
    .flatMap((document) => toArray(resolveConditions(document, conditions).Statement))
    .filter((statement) => statement !== undefined);
  return { statements, managedPolicyArns: role.Properties.ManagedPolicyArns ?? [] };
}

/** Replaces every `Fn::If` by its chosen branch and drops `AWS::NoValue`. */
export function resolveConditions(value, conditions) {
  if (Array.isArray(value)) {
    return value.map((item) => resolveConditions(item, conditions)).filter((item) => item !== undefined);
  }
  if (value && typeof value === 'object') {
    if (value.Ref === 'AWS::NoValue') return undefined;
    if ('Fn::If' in value) {
      const [name, whenTrue, whenFalse] = value['Fn::If'];
      if (!(name in conditions)) throw new Error(`condition ${name} has no value in this check`);
      return resolveConditions(conditions[name] ? whenTrue : whenFalse, conditions);
    }
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveConditions(item, conditions);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return value;
}

function toArray(value) {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Compares what a function needs with what its role allows.
 * @param {object} input
 * @param {string[]} input.codeActions actions the function's code can call
 * @param {{ action: string, why: string }[]} input.serviceActions actions AWS needs on the role on the function's behalf
 * @param {any[]} input.statements the role's policy statements
 * @param {any[]} [input.managedPolicyArns] the role's managed policies
 * @param {string[]} [input.allowedManagedPolicies] managed policies accepted as they are (e.g. basic logging)
 * @param {string[]} [input.starResourceActions] actions without resource-level permissions (the Service Authorization
 *   Reference lists no resource type for them): they must be granted on Resource "*" alone, because a narrower
 *   Resource matches no request and grants nothing
 * @returns {{ missing: string[], unused: string[], problems: string[] }}
 */
export function analyseRole(input) {
  const { codeActions, serviceActions, statements } = input;
  const allowedManaged = new Set(input.allowedManagedPolicies ?? []);
  const starResourceActions = new Set(input.starResourceActions ?? []);
  const problems = [];
  const granted = new Set();
  for (const statement of statements) {
    const label = statement.Sid ?? JSON.stringify(statement.Action);
    if (statement.Effect !== 'Allow') continue;
    if (statement.NotAction || statement.NotResource) problems.push(`${label}: NotAction/NotResource is not least privilege`);
    const actions = toArray(statement.Action);
    const resources = toArray(statement.Resource);
    for (const action of actions) {
      if (typeof action !== 'string' || action.includes('*')) {
        problems.push(`${label}: wildcard action ${JSON.stringify(action)}`);
        continue;
      }
      granted.add(action);
      if (starResourceActions.has(action)) {
        if (resources.length !== 1 || resources[0] !== '*') {
          problems.push(`${label}: ${action} has no resource-level permissions: grant it on Resource "*" alone (a narrower Resource grants nothing)`);
        }
      } else if (resources.includes('*')) {
        problems.push(`${label}: ${action} on Resource "*" although it supports narrower resources`);
      }
    }
  }
  for (const arn of input.managedPolicyArns ?? []) {
    const text = typeof arn === 'string' ? arn : JSON.stringify(arn);
    if (![...allowedManaged].some((allowed) => text.endsWith(allowed))) problems.push(`managed policy ${text} is not allowed`);
  }
  const needed = new Set([...codeActions, ...serviceActions.map((entry) => entry.action)]);
  const missing = [...needed].filter((action) => !granted.has(action)).sort();
  const unused = [...granted].filter((action) => !needed.has(action)).sort();
  return { missing, unused, problems };
}
