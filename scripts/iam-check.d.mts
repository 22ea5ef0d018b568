/** Types of scripts/iam-check.mjs (plain JavaScript so scripts can run without a TypeScript step). */
export declare const SDK_PACKAGE_PREFIX: Readonly<Record<string, string>>;
export declare class UnanalysableSdkUseError extends Error {}
export interface SdkOperation {
  pkg: string;
  operation: string;
}
export declare function sdkOperationsInSource(source: string, fileName?: string): SdkOperation[];
export declare function iamActionFor(pkg: string, operation: string): string;
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export declare function rolePolicyStatements(
  template: Record<string, any>,
  roleLogicalId: string,
  conditions?: Record<string, boolean>,
): { statements: PolicyStatement[]; managedPolicyArns: unknown[] };
export declare function resolveConditions(value: unknown, conditions: Record<string, boolean>): any;
export interface ServiceAction {
  action: string;
  why: string;
}
export declare function analyseRole(input: {
  codeActions: string[];
  serviceActions: ServiceAction[];
  statements: PolicyStatement[];
  managedPolicyArns?: unknown[];
  allowedManagedPolicies?: string[];
  starResourceActions?: string[];
}): { missing: string[]; unused: string[]; problems: string[] };
