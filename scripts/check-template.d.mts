/** Types of scripts/check-template.mjs. */
export declare const CFN_LINT_INSTALL_HINT: string;
export declare class ToolMissingError extends Error {}
export declare function runCfnLint(templatePath: string, parameters?: Record<string, string>): Promise<{ status: number; output: string }>;
export declare function translateTemplate(templatePath: string): Promise<Record<string, any>>;
export declare function bundledSourceFiles(templatePath: string): Promise<Record<string, string[]>>;
export declare function codeActions(files: string[]): Map<string, string[]>;
