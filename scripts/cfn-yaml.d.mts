/** Types of scripts/cfn-yaml.mjs. */
export declare function loadTemplate(path: string): Record<string, any>;
