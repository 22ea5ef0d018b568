/**
 * Which tables the reconciler manages: include/exclude globs on the table name and an
 * optional glob on the creator's role ARN (the CloudTrail `sessionIssuer.arn`).
 * Globs support `*` (any run of characters) and `?` (one character); everything else is
 * literal and the whole name must match.
 */
export interface TableFilterOptions {
  include: readonly string[];
  exclude: readonly string[];
  /** Glob on the creator role ARN; undefined = any creator. */
  creatorRolePattern?: string;
}

/** Why a table was not selected; `undefined` from {@link TableFilter.reject} means selected. */
export const FilterRejection = {
  NotIncluded: 'not-included',
  Excluded: 'excluded',
  CreatorMismatch: 'creator-mismatch',
} as const;
export type FilterRejection = (typeof FilterRejection)[keyof typeof FilterRejection];

export interface TableFilter {
  /** Returns why the table is rejected, or undefined when it is selected. */
  reject(tableName: string, creatorArn?: string): FilterRejection | undefined;
  /** Name filters only (the sweep has no creator to check). */
  includesName(tableName: string): boolean;
  readonly checksCreator: boolean;
}

/** Compiles a glob (`*`, `?`) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

export function createTableFilter(options: TableFilterOptions): TableFilter {
  const include = options.include.map(globToRegExp);
  const exclude = options.exclude.map(globToRegExp);
  const creator = options.creatorRolePattern === undefined ? undefined : globToRegExp(options.creatorRolePattern);
  const includesName = (name: string) => include.some((re) => re.test(name)) && !exclude.some((re) => re.test(name));
  return {
    checksCreator: creator !== undefined,
    includesName,
    reject(tableName, creatorArn) {
      if (!include.some((re) => re.test(tableName))) return FilterRejection.NotIncluded;
      if (exclude.some((re) => re.test(tableName))) return FilterRejection.Excluded;
      if (creator && (creatorArn === undefined || !creator.test(creatorArn))) return FilterRejection.CreatorMismatch;
      return undefined;
    },
  };
}
