/**
 * Shard lineage: a DynamoDB stream splits shards over time; a child shard may only be
 * read once its parent has been read to its end, or per-item order breaks. Pure.
 */

/** The fields of a DescribeStream shard the poller needs. */
export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
  /** Set once the shard is closed (no new records). */
  readonly endingSequenceNumber?: string;
}

/**
 * Shards that may be read now, parents before children: a shard is ready when it is not
 * finished and its parent is finished or unknown (trimmed from the stream already).
 */
export function readyShards(shards: readonly ShardInfo[], finished: ReadonlySet<string>): ShardInfo[] {
  const known = new Set(shards.map((shard) => shard.shardId));
  return shards.filter((shard) => {
    if (finished.has(shard.shardId)) return false;
    const parent = shard.parentShardId;
    return parent === undefined || !known.has(parent) || finished.has(parent);
  });
}

/**
 * Where a shard starts when first seen: a child of a shard the poller read continues at
 * its beginning (its records follow the parent's); other shards follow the mapping's
 * StartingPosition, except that shards appearing after the poller started are read from
 * their beginning too, so nothing written to them is skipped.
 */
export function initialIteratorType(
  shard: ShardInfo,
  startingPosition: 'TRIM_HORIZON' | 'LATEST',
  context: { readonly seenBefore: ReadonlySet<string>; readonly firstListing: boolean },
): 'TRIM_HORIZON' | 'LATEST' {
  if (shard.parentShardId !== undefined && context.seenBefore.has(shard.parentShardId)) return 'TRIM_HORIZON';
  if (!context.firstListing) return 'TRIM_HORIZON';
  return startingPosition;
}
