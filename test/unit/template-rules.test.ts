/**
 * Parameters that would deploy but never work are refused at deploy time: each parameter's own
 * constraints and the template's Rules, evaluated the way CloudFormation does before it creates
 * or updates anything (test/support/cfn-rules.ts). Where the functions validate the same value at
 * cold start, the template must accept exactly what the code accepts.
 */
import fc from 'fast-check';
import { loadReconcilerConfig } from '../../src/config/reconciler';
import { conditionValues, deploymentErrors, evaluate, UnsupportedTemplateFunctionError } from '../support/cfn-rules';
import { loadProjectTemplate, localEnvironment, readEnvJson } from '../support/sam-local';

const template = loadProjectTemplate();
const CAPACITIES = (template.Parameters.ScalingMinCapacity.AllowedValues as number[]).map(String);

/** The reconciler's environment for a deployment with these parameter values (env.json for the resource-valued ones). */
function reconcilerEnv(overrides: Record<string, string>) {
  const withOverrides = { ...template, Parameters: { ...template.Parameters } };
  for (const [name, value] of Object.entries(overrides)) withOverrides.Parameters[name] = { ...template.Parameters[name], Default: value };
  return localEnvironment(withOverrides, 'ReconcilerFunction', readEnvJson()).env;
}
const configLoads = (overrides: Record<string, string>) => {
  try {
    loadReconcilerConfig(reconcilerEnv(overrides));
    return true;
  } catch {
    return false;
  }
};

describe('deploy-time refusals', () => {
  it('the defaults deploy', () => {
    expect(deploymentErrors(template)).toEqual([]);
  });

  it.each([
    [{ ScalingMinCapacity: '50', ScalingMaxCapacity: '20' }, /ScalingMaxCapacity must be at least ScalingMinCapacity \(50\)/],
    [{ ScalingMinCapacity: '40000', ScalingMaxCapacity: '1' }, /at least ScalingMinCapacity \(40000\)/],
    [{ ScalingMinCapacity: '7' }, /ScalingMinCapacity: "7" is not an allowed value/],
    [{ EsmMaxRecordAgeSeconds: '0' }, /EsmMaxRecordAgeSeconds: "0" does not match/],
    [{ EsmMaxRecordAgeSeconds: '59' }, /EsmMaxRecordAgeSeconds/],
    [{ EsmMaxRecordAgeSeconds: '-2' }, /EsmMaxRecordAgeSeconds/],
    [{ EsmMaxRecordAgeSeconds: '604801' }, /EsmMaxRecordAgeSeconds/],
    [{ EsmMaxRecordAgeSeconds: '060' }, /EsmMaxRecordAgeSeconds/],
    [{ SweepSchedule: 'rate(1 minutes)' }, /SweepSchedule: "rate\(1 minutes\)" does not match/],
    [{ SweepSchedule: 'rate(5 minute)' }, /SweepSchedule/],
    [{ SweepSchedule: 'rate(1 hours)' }, /SweepSchedule/],
    [{ SweepSchedule: 'rate(2 day)' }, /SweepSchedule/],
    [{ SweepSchedule: 'rate(0 minutes)' }, /SweepSchedule/],
    [{ SweepSchedule: 'rate(05 minutes)' }, /SweepSchedule/],
    [{ SweepSchedule: 'rate(15 seconds)' }, /SweepSchedule/],
    [{ SweepSchedule: 'cron(0 12 * * *)' }, /SweepSchedule/], // five fields
    [{ SweepSchedule: 'cron(0 12 * * MON *)' }, /SweepSchedule/], // day-of-month and day-of-week both set
    [{ ReconcilerReservedConcurrency: '0' }, /ReconcilerReservedConcurrency/], // 0 throttles every invocation
    [{ ReconcilerReservedConcurrency: 'one' }, /ReconcilerReservedConcurrency/],
  ])('refuses %j', (overrides, message) => {
    // Act
    const errors = deploymentErrors(template, overrides);
    // Assess
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    'rate(1 minute)',
    'rate(2 minutes)',
    'rate(15 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
    'cron(0/15 * * * ? *)',
    'cron(0 12 ? * MON-FRI *)',
    'cron(30 2 1 * ? *)',
  ])('accepts the EventBridge schedule %s', (schedule) => {
    expect(deploymentErrors(template, { SweepSchedule: schedule })).toEqual([]);
  });

  it('accepts exactly the capacity pairs the reconciler accepts (max >= min), for every pair of allowed values', () => {
    // Prepare
    const pairs = CAPACITIES.flatMap((min) => CAPACITIES.map((max) => ({ ScalingMinCapacity: min, ScalingMaxCapacity: max })));
    // Act
    const disagreements = pairs.filter((pair) => (deploymentErrors(template, pair).length === 0) !== configLoads(pair));
    const refused = pairs.filter((pair) => deploymentErrors(template, pair).length > 0);
    // Assess
    expect(disagreements).toEqual([]);
    expect(refused.length).toBe((CAPACITIES.length * (CAPACITIES.length - 1)) / 2);
  });

  it('accepts exactly the record ages Lambda and the reconciler accept (-1 or 60..604800)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -100, max: 700_000 }), fc.constantFrom(-1, 0, 59, 60, 604_800, 604_801)), (age) => {
        const overrides = { EsmMaxRecordAgeSeconds: String(age) };
        const deploys = deploymentErrors(template, overrides).length === 0;
        expect(deploys).toBe(age === -1 || (age >= 60 && age <= 604_800));
        expect(deploys).toBe(configLoads(overrides));
      }),
      { numRuns: 500 },
    );
  });
});

describe('reserved concurrency of the reconciler', () => {
  it('is none by default and the parameter value when one is given', () => {
    // Prepare
    const property = template.Resources.ReconcilerFunction.Properties.ReservedConcurrentExecutions;
    const [condition, whenSet, whenEmpty] = property['Fn::If'];
    // Act
    const byDefault = conditionValues(template)[condition];
    const withOne = conditionValues(template, { ReconcilerReservedConcurrency: '3' })[condition];
    // Assess
    expect(byDefault).toBe(false);
    expect(whenEmpty).toEqual({ Ref: 'AWS::NoValue' });
    expect(withOne).toBe(true);
    expect(whenSet).toEqual({ Ref: 'ReconcilerReservedConcurrency' });
    expect(template.Resources.SnapshotFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('the evaluator', () => {
  it('evaluates the rule functions', () => {
    // Prepare
    const params = { A: 'x', L: 'ignored' };
    // Act & Assess
    expect(evaluate({ 'Fn::And': [{ 'Fn::Equals': [{ Ref: 'A' }, 'x'] }, { 'Fn::Not': [{ 'Fn::Equals': ['a', 'b'] }] }] }, params)).toBe(true);
    expect(evaluate({ 'Fn::Or': [{ 'Fn::Equals': [{ Ref: 'A' }, 'y'] }, { 'Fn::Contains': [['y', 'z'], { Ref: 'A' }] }] }, params)).toBe(false);
    expect(evaluate({ 'Fn::EachMemberIn': [['x', 'y'], ['x', 'y', 'z']] }, params)).toBe(true);
    expect(evaluate({ 'Fn::EachMemberEquals': [['x', 'y'], 'x'] }, params)).toBe(false);
  });

  it('refuses what it does not model, so a new rule function cannot pass unexamined', () => {
    expect(() => evaluate({ 'Fn::ValueOf': ['P', 'Tags'] }, {})).toThrow(UnsupportedTemplateFunctionError);
    expect(() => evaluate({ Ref: 'Missing' }, {})).toThrow(UnsupportedTemplateFunctionError);
  });

  it('reports a failing assertion with its description', () => {
    // Prepare
    const small = {
      Parameters: { P: { Type: 'String', Default: 'a' } },
      Rules: { R: { RuleCondition: { 'Fn::Equals': [{ Ref: 'P' }, 'b'] }, Assertions: [{ Assert: { 'Fn::Equals': ['1', '2'] }, AssertDescription: 'P must not be b' }] } },
    };
    // Act & Assess
    expect(deploymentErrors(small)).toEqual([]);
    expect(deploymentErrors(small, { P: 'b' })).toEqual(['R: P must not be b']);
  });
});
