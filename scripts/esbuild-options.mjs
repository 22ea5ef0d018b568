// One source of truth for bundling: the esbuild Metadata of each function in template.yaml.
// `npm run build` and `sam build` therefore produce the same bundles from the same options.
import { resolve, basename, extname } from 'node:path';
import { loadTemplate } from './cfn-yaml.mjs';

/** SAM's defaults (aws-lambda-builders) for properties the template leaves out. */
const SAM_DEFAULTS = { Target: 'es2020', Format: 'cjs', Minify: true };

/** Maps the SAM BuildProperties of every esbuild function to esbuild API options. */
export function functionBuilds(templatePath) {
  const template = loadTemplate(templatePath);
  const builds = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Serverless::Function' || resource.Metadata?.BuildMethod !== 'esbuild') continue;
    const props = { ...SAM_DEFAULTS, ...resource.Metadata.BuildProperties };
    const entryPoints = props.EntryPoints ?? [];
    if (entryPoints.length !== 1) throw new Error(`${logicalId}: exactly one EntryPoints entry expected`);
    const entry = entryPoints[0];
    const codeUri = resource.Properties?.CodeUri ?? '.';
    builds.push({
      logicalId,
      entry,
      handler: resource.Properties?.Handler,
      outputName: basename(entry, extname(entry)),
      options: {
        entryPoints: [resolve(resolve(templatePath, '..'), codeUri, entry)],
        bundle: true,
        platform: 'node',
        target: props.Target,
        format: props.Format,
        minify: props.Minify,
        sourcemap: props.Sourcemap ?? false,
        sourcesContent: props.SourcesContent ?? true,
        external: props.External ?? [],
        mainFields: (props.MainFields ?? 'main,module').split(','),
        legalComments: props.LegalComments,
      },
    });
  }
  return builds;
}

/** dist/<function>/: the function's folder name is its entry's directory (forwarder, reconciler). */
export function functionDirName(build) {
  const parts = build.entry.split('/');
  return parts.length > 1 ? parts[parts.length - 2] : build.logicalId;
}
