/**
 * The IAM analysis behind the template checks, on small hand-made inputs: it must find
 * every SDK call, and report missing, unused and over-broad permissions (so the real
 * check in template.test.ts can fail).
 */
import {
  analyseRole,
  iamActionFor,
  resolveConditions,
  rolePolicyStatements,
  sdkOperationsInSource,
  UnanalysableSdkUseError,
} from '../../scripts/iam-check.mjs';

describe('sdkOperationsInSource', () => {
  it.each([
    [
      'named commands, aliases, paginators and waiters',
      `import { DynamoDBClient, DescribeTableCommand, UpdateTableCommand as Update, paginateListTables, waitUntilTableExists } from '@aws-sdk/client-dynamodb';`,
      ['DescribeTable', 'UpdateTable', 'ListTables', 'DescribeTable'],
    ],
    [
      'multi-line import from the streams client',
      `import {\n  GetRecordsCommand,\n  GetShardIteratorCommand,\n  type _Record,\n} from "@aws-sdk/client-dynamodb-streams";`,
      ['GetRecords', 'GetShardIterator'],
    ],
    ['type-only imports call nothing', `import type { PutRecordsCommandInput, PutRecordsCommand } from '@aws-sdk/client-kinesis';`, []],
    ['other packages are ignored', `import { GetItemCommand } from './fake';\nimport { marshall } from '@aws-sdk/util-dynamodb';`, []],
  ])('%s', (_name, source, operations) => {
    // Act
    const found = sdkOperationsInSource(source).map((entry) => entry.operation);
    // Assess
    expect(found).toEqual(operations);
  });

  it.each([
    ['namespace import', `import * as ddb from '@aws-sdk/client-dynamodb';`],
    ['require', `const { ScanCommand } = require('@aws-sdk/client-dynamodb');`],
    ['dynamic import', `const sdk = await import('@aws-sdk/client-lambda');`],
    ['unknown waiter', `import { waitUntilBackupDone } from '@aws-sdk/client-dynamodb';`],
  ])('refuses what it cannot see through: %s', (_name, source) => {
    // Act & Assess
    expect(() => sdkOperationsInSource(source, 'x.ts')).toThrow(UnanalysableSdkUseError);
  });
});

describe('iamActionFor', () => {
  it.each([
    ['@aws-sdk/client-dynamodb-streams', 'GetRecords', 'dynamodb:GetRecords'],
    ['@aws-sdk/client-application-auto-scaling', 'PutScalingPolicy', 'application-autoscaling:PutScalingPolicy'],
    ['@aws-sdk/client-eventbridge', 'PutEvents', 'events:PutEvents'],
    ['@aws-sdk/client-lambda', 'Invoke', 'lambda:InvokeFunction'],
    ['@aws-sdk/client-kinesis', 'PutRecords', 'kinesis:PutRecords'],
  ])('%s %s -> %s', (pkg, operation, action) => {
    // Act & Assess
    expect(iamActionFor(pkg, operation)).toBe(action);
  });

  it('rejects a client package it has no prefix for', () => {
    // Act & Assess
    expect(() => iamActionFor('@aws-sdk/client-unknown', 'Do')).toThrow(/no IAM service prefix/);
  });
});

describe('rolePolicyStatements', () => {
  const template = {
    Resources: {
      FnRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          Policies: [
            {
              PolicyDocument: {
                Statement: [
                  { Sid: 'A', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: 'arn:stream' },
                  { 'Fn::If': ['HasCmk', { Sid: 'K', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: 'arn:key' }, { Ref: 'AWS::NoValue' }] },
                ],
              },
            },
          ],
        },
      },
      Extra: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'FnRole' }], PolicyDocument: { Statement: { Sid: 'S', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:fn' } } },
      },
      Unrelated: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'OtherRole' }], PolicyDocument: { Statement: [{ Sid: 'O', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:b' }] } },
      },
    },
  };

  it.each([
    [{ HasCmk: false }, ['A', 'S']],
    [{ HasCmk: true }, ['A', 'K', 'S']],
  ])('collects inline and attached statements with conditions %j', (conditions, sids) => {
    // Act
    const { statements, managedPolicyArns } = rolePolicyStatements(template, 'FnRole', conditions);
    // Assess
    expect(statements.map((statement) => statement.Sid)).toEqual(sids);
    expect(managedPolicyArns).toHaveLength(1);
  });

  it('requires every condition the policies use to have a value', () => {
    // Act & Assess
    expect(() => rolePolicyStatements(template, 'FnRole', {})).toThrow(/condition HasCmk/);
    expect(() => resolveConditions({ 'Fn::If': ['X', 1, 2] }, { X: false })).not.toThrow();
  });
});

describe('analyseRole', () => {
  const statements = [
    { Sid: 'Put', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: 'arn:aws:kinesis:r:1:stream/s' },
    { Sid: 'List', Effect: 'Allow', Action: ['dynamodb:ListTables'], Resource: '*' },
  ];
  const base = { serviceActions: [], starResourceActions: ['dynamodb:ListTables'] };

  it.each([
    ['exact match', ['kinesis:PutRecords', 'dynamodb:ListTables'], { missing: [], unused: [], problems: [] }],
    ['a call the policy does not allow', ['kinesis:PutRecords', 'dynamodb:ListTables', 'kinesis:PutRecord'], { missing: ['kinesis:PutRecord'], unused: [], problems: [] }],
    ['a permission no code uses', ['kinesis:PutRecords'], { missing: [], unused: ['dynamodb:ListTables'], problems: [] }],
  ])('%s', (_name, codeActions, expected) => {
    // Act
    const result = analyseRole({ ...base, codeActions, statements });
    // Assess
    expect(result).toEqual(expected);
  });

  it('counts actions AWS needs on the role as needed', () => {
    // Act
    const result = analyseRole({
      ...base,
      codeActions: ['dynamodb:ListTables'],
      serviceActions: [{ action: 'kinesis:PutRecords', why: 'test' }],
      statements,
    });
    // Assess
    expect(result).toEqual({ missing: [], unused: [], problems: [] });
  });

  it.each([
    ['wildcard action', { Sid: 'W', Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:t' }, /W: wildcard action/],
    ['star resource where narrower exists', { Sid: 'R', Effect: 'Allow', Action: ['kinesis:PutRecords'], Resource: '*' }, /R: kinesis:PutRecords on Resource "\*"/],
    ['NotAction', { Sid: 'N', Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:x' }, /N: NotAction/],
    [
      'narrower Resource for an action without resource-level permissions (it would grant nothing)',
      { Sid: 'L', Effect: 'Allow', Action: ['dynamodb:ListTables'], Resource: 'arn:aws:dynamodb:r:1:table/dms_*' },
      /L: dynamodb:ListTables has no resource-level permissions: grant it on Resource "\*" alone/,
    ],
    [
      '"*" mixed with other resources for such an action',
      { Sid: 'M', Effect: 'Allow', Action: ['dynamodb:ListTables'], Resource: ['*', 'arn:aws:dynamodb:r:1:table/x'] },
      /M: dynamodb:ListTables has no resource-level permissions/,
    ],
  ])('reports a %s', (_name, statement, message) => {
    // Act
    const result = analyseRole({ ...base, codeActions: [], statements: [statement] });
    // Assess
    expect(result.problems.join('\n')).toMatch(message);
  });

  it('reports managed policies other than the allowed ones', () => {
    // Act
    const result = analyseRole({
      ...base,
      codeActions: [],
      statements: [],
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess', 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      allowedManagedPolicies: ['service-role/AWSLambdaBasicExecutionRole'],
    });
    // Assess
    expect(result.problems).toEqual(['managed policy arn:aws:iam::aws:policy/AdministratorAccess is not allowed']);
  });
});
