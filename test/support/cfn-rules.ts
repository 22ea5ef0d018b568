/**
 * What CloudFormation checks before it creates or updates a stack, evaluated here so tests can
 * prove which parameter values a deployment refuses:
 * - each parameter's own constraints (Type Number, AllowedValues, AllowedPattern, MinValue,
 *   MaxValue, MinLength, MaxLength), see
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
 *   (an AllowedPattern must match the whole value);
 * - the template's Rules (RuleCondition + Assertions), with the rule functions CloudFormation
 *   offers, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
 *   (Fn::And, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::Equals, Fn::Not, Fn::Or, Ref);
 * - the Conditions section (Fn::And, Fn::Equals, Fn::Not, Fn::Or, Condition).
 * Anything else is refused with an error, so a template using a function this evaluator does not
 * model fails the tests instead of passing them unexamined.
 */

/** A parameter value as CloudFormation hands it to Rules and Conditions: a string (or a list for List<> types). */
type Value = string | string[] | boolean;
type Params = Readonly<Record<string, string>>;

interface Parameter {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  MaxLength?: number;
  ConstraintDescription?: string;
}

/** Raised for template constructs the evaluator does not model. */
export class UnsupportedTemplateFunctionError extends Error {
  override readonly name = 'UnsupportedTemplateFunctionError';
}

/** Why `value` violates the parameter's own constraints, or undefined when it meets them. */
export function parameterError(name: string, parameter: Parameter, value: string): string | undefined {
  const explain = (what: string) => `${name}: ${what}${parameter.ConstraintDescription ? ` (${parameter.ConstraintDescription})` : ''}`;
  if (parameter.Type === 'Number') {
    if (!/^-?\d+(\.\d+)?$/.test(value.trim())) return explain(`"${value}" is not a number`);
    const number = Number(value);
    if (parameter.MinValue !== undefined && number < parameter.MinValue) return explain(`${value} is below ${parameter.MinValue}`);
    if (parameter.MaxValue !== undefined && number > parameter.MaxValue) return explain(`${value} is above ${parameter.MaxValue}`);
  } else if (parameter.Type !== 'String') {
    throw new UnsupportedTemplateFunctionError(`${name}: parameter type ${parameter.Type} is not modelled`);
  }
  if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(value)) return explain(`"${value}" is not an allowed value`);
  if (parameter.AllowedPattern !== undefined && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value)) {
    return explain(`"${value}" does not match ${parameter.AllowedPattern}`);
  }
  if (parameter.MinLength !== undefined && value.length < parameter.MinLength) return explain(`shorter than ${parameter.MinLength}`);
  if (parameter.MaxLength !== undefined && value.length > parameter.MaxLength) return explain(`longer than ${parameter.MaxLength}`);
  return undefined;
}

/** Evaluates a Rules or Conditions expression against the parameter values. */
export function evaluate(expression: unknown, params: Params, conditions: Record<string, unknown> = {}): Value {
  if (typeof expression === 'string') return expression;
  if (typeof expression === 'boolean') return expression; // a resolved condition
  if (typeof expression === 'number') return String(expression);
  if (Array.isArray(expression)) return expression.map((item) => asString(evaluate(item, params, conditions)));
  if (expression === null || typeof expression !== 'object') throw new UnsupportedTemplateFunctionError(`cannot evaluate ${JSON.stringify(expression)}`);
  const entries = Object.entries(expression);
  if (entries.length !== 1) throw new UnsupportedTemplateFunctionError(`expected one function, got ${JSON.stringify(expression)}`);
  const [name, argument] = entries[0]!;
  const args = () => argument as unknown[];
  const bool = (item: unknown) => asBoolean(evaluate(item, params, conditions));
  switch (name) {
    case 'Ref': {
      const value = params[argument as string];
      if (value === undefined) throw new UnsupportedTemplateFunctionError(`Ref ${String(argument)}: no such parameter`);
      return value;
    }
    case 'Condition':
      return bool(conditions[argument as string]);
    case 'Fn::Equals':
      return evaluate(args()[0], params, conditions) === evaluate(args()[1], params, conditions);
    case 'Fn::Not':
      return !bool(args()[0]);
    case 'Fn::And':
      return args().every(bool);
    case 'Fn::Or':
      return args().some(bool);
    case 'Fn::Contains':
      return asList(evaluate(args()[0], params, conditions)).includes(asString(evaluate(args()[1], params, conditions)));
    case 'Fn::EachMemberEquals':
      return asList(evaluate(args()[0], params, conditions)).every((item) => item === evaluate(args()[1], params, conditions));
    case 'Fn::EachMemberIn': {
      const allowed = asList(evaluate(args()[1], params, conditions));
      return asList(evaluate(args()[0], params, conditions)).every((item) => allowed.includes(item));
    }
    default:
      throw new UnsupportedTemplateFunctionError(`${name} is not modelled`);
  }
}

function asBoolean(value: Value): boolean {
  if (typeof value !== 'boolean') throw new UnsupportedTemplateFunctionError(`expected a condition, got ${JSON.stringify(value)}`);
  return value;
}
function asString(value: Value): string {
  if (typeof value !== 'string') throw new UnsupportedTemplateFunctionError(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}
function asList(value: Value): string[] {
  if (!Array.isArray(value)) throw new UnsupportedTemplateFunctionError(`expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** The parameter values of a deployment: the template's defaults with `overrides` applied. */
export function parameterValues(template: Record<string, any>, overrides: Params = {}): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters as Record<string, Parameter>)) {
    if (parameter.Default !== undefined) values[name] = String(parameter.Default);
  }
  return { ...values, ...overrides };
}

/**
 * Everything CloudFormation would refuse about these parameter values, as its messages
 * (parameter constraints first, then failed rule assertions). Empty: the deployment proceeds.
 */
export function deploymentErrors(template: Record<string, any>, overrides: Params = {}): string[] {
  const params = parameterValues(template, overrides);
  const errors: string[] = [];
  for (const [name, parameter] of Object.entries(template.Parameters as Record<string, Parameter>)) {
    const value = params[name];
    if (value === undefined) errors.push(`${name}: no value and no default`);
    else {
      const error = parameterError(name, parameter, value);
      if (error) errors.push(error);
    }
  }
  if (errors.length > 0) return errors; // CloudFormation rejects invalid parameters before it evaluates rules
  for (const [ruleName, rule] of Object.entries((template.Rules ?? {}) as Record<string, any>)) {
    if (rule.RuleCondition !== undefined && !asBoolean(evaluate(rule.RuleCondition, params))) continue;
    for (const assertion of rule.Assertions ?? []) {
      if (!asBoolean(evaluate(assertion.Assert, params))) errors.push(`${ruleName}: ${assertion.AssertDescription ?? 'assertion failed'}`);
    }
  }
  return errors;
}

/** The value of every condition in the template's Conditions section for these parameter values. */
export function conditionValues(template: Record<string, any>, overrides: Params = {}): Record<string, boolean> {
  const params = parameterValues(template, overrides);
  const definitions = (template.Conditions ?? {}) as Record<string, unknown>;
  const resolved: Record<string, boolean> = {};
  const resolve = (name: string, seen: string[]): boolean => {
    if (name in resolved) return resolved[name]!;
    if (seen.includes(name)) throw new UnsupportedTemplateFunctionError(`condition ${name} refers to itself`);
    if (!(name in definitions)) throw new UnsupportedTemplateFunctionError(`no condition ${name}`);
    const lazy = new Proxy({}, { get: (_target, key: string) => resolve(key, [...seen, name]) });
    return (resolved[name] = asBoolean(evaluate(definitions[name], params, lazy as Record<string, unknown>)));
  };
  for (const name of Object.keys(definitions)) resolve(name, []);
  return resolved;
}
