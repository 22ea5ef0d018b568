/**
 * The MetadataExtraction processor's JQ query, evaluated with a real jq (jq 1.7 compiled to
 * WebAssembly, npm `jq-web`; Firehose runs JQ 1.6, and the query uses nothing that differs).
 * Records are evaluated in one jq run per batch (one JSON text per line in, one object per
 * line out); a batch that fails is retried record by record so only the bad ones fail.
 *
 * Development tooling only: never bundled into a Lambda function.
 */

/** The partition values of one record, or why it has none (Firehose sends it to the error prefix). */
export type PartitionResult = { readonly ok: true; readonly keys: Readonly<Record<string, string>> } | { readonly ok: false; readonly error: string };

interface JqWeb {
  raw(input: string, query: string, flags?: string[]): string;
}

let loaded: Promise<JqWeb> | undefined;
/** The jq-web module (it resolves once its WebAssembly is compiled). */
function jq(): Promise<JqWeb> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= Promise.resolve(require('jq-web') as Promise<JqWeb> | JqWeb);
  return loaded;
}

/** Runs `query` on one JSON text and returns jq's compact output lines. */
export async function runJq(input: string, query: string): Promise<string[]> {
  const output = (await jq()).raw(input, query, ['-c']);
  return output.split('\n').filter((line) => line !== '');
}

function toKeys(line: string | undefined): PartitionResult {
  if (line === undefined) return { ok: false, error: 'the metadata query produced no output' };
  const value = JSON.parse(line) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: `the metadata query produced ${line}, not an object` };
  const keys: Record<string, string> = {};
  for (const [name, item] of Object.entries(value)) {
    if (item === null || typeof item === 'object') return { ok: false, error: `partition key "${name}" is ${JSON.stringify(item)}` };
    keys[name] = String(item);
  }
  return { ok: true, keys };
}

/** Evaluates the query on each record (UTF-8 JSON text, one object each), in order. */
export async function extractPartitionKeys(records: readonly string[], query: string): Promise<PartitionResult[]> {
  if (records.length === 0) return [];
  const oneLine = records.map((record) => record.replace(/\n/g, ' '));
  try {
    const lines = await runJq(oneLine.join('\n'), query);
    if (lines.length === records.length) return lines.map(toKeys);
  } catch {
    // some record made jq fail: find out which, one by one
  }
  return Promise.all(
    oneLine.map(async (record): Promise<PartitionResult> => {
      try {
        const lines = await runJq(record, query);
        return lines.length === 1 ? toKeys(lines[0]) : { ok: false, error: `the metadata query produced ${lines.length} outputs` };
      } catch (error) {
        return { ok: false, error: (error as Error).message.split('\n').slice(0, 2).join(' ') };
      }
    }),
  );
}
