/** Types of scripts/esbuild-options.mjs. */
import type { BuildOptions } from 'esbuild';
export interface FunctionBuild {
  logicalId: string;
  entry: string;
  handler: string | undefined;
  outputName: string;
  options: BuildOptions;
}
export declare function functionBuilds(templatePath: string): FunctionBuild[];
export declare function functionDirName(build: FunctionBuild): string;
