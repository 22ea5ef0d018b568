/**
 * When a mapping on an old stream may go: the drain rule. Pure, like the plan.
 *
 * After DeleteTable, after the stream is disabled (replaced) and after DMS drops and
 * re-creates a table, the old stream goes DISABLED and stays readable for 24 hours
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html: "If you
 * disable a stream, any shards that are open will be closed. The data in the stream will
 * continue to be readable for 24 hours"; DeleteTable: the stream "goes into the DISABLED
 * state, and the stream is automatically deleted after 24 hours",
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html).
 * Whatever the forwarder has not read yet (batching window, retries, throttling, iterator
 * age) is still in it, so its mapping must keep reading.
 *
 * Lambda exposes no per-shard checkpoint of a mapping (LastProcessingResult is only the last
 * poll's outcome), so "read to the end of every closed shard" cannot be observed directly.
 * The rule therefore waits until nothing can be left to read:
 * - DescribeStream no longer finds the stream (DynamoDB deleted it): drained.
 * - The stream is DISABLED and a newer stream of the table exists: that stream was created
 *   after the old one was disabled (a table has one enabled stream at a time, and a
 *   re-created table's stream is born after the old table is gone), so its label (its
 *   creation time) bounds the disable time from above. After that time plus the 24 hours of
 *   retention (plus a margin), nothing of the old stream is readable: drained.
 * - Otherwise (still ENABLED or DISABLING, not described, or DISABLED with no newer stream
 *   to bound it): keep the mapping. A deleted table's stream is then released when DynamoDB
 *   deletes it, 24 hours after DeleteTable.
 * Never early: every branch that deletes needs positive evidence that the stream is empty.
 */
import { DrainReason, streamLabelOf, type Action, type DrainedBy, type DrainingMapping, type Observed, type ObservedMapping } from './model';

/** How long DynamoDB keeps a disabled stream readable (and any stream record). */
export const STREAM_RETENTION_MS = 24 * 3600_000;
/** Added to the retention: label precision, clock skew and the service's own trimming lag. */
export const DRAIN_MARGIN_MS = 3600_000;

/** The verdict on one old stream: drained (the mapping may go), or why and until when it stays. */
export type DrainVerdict = { drained: true; by: DrainedBy } | { drained: false; reason: DrainReason; removeAfter?: number };

/** Epoch ms of a stream label (`2015-05-11T21:21:33.291`, UTC), or undefined when it is not a timestamp. */
export function streamLabelTime(label: string | undefined): number | undefined {
  if (!label) return undefined;
  const ms = Date.parse(/(Z|[+-]\d\d:\d\d)$/i.test(label) ? label : `${label}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Creation time of the table's latest stream when it is newer than `streamArn` (an upper bound on when `streamArn` was disabled). */
function supersededAt(streamArn: string, observed: Observed): number | undefined {
  const latest = observed.table?.stream.latestArn;
  if (!latest || latest === streamArn) return undefined;
  const oldLabel = streamLabelOf(streamArn);
  const newLabel = streamLabelOf(latest);
  if (!oldLabel || !newLabel || newLabel <= oldLabel) return undefined;
  return streamLabelTime(newLabel);
}

/** Whether the forwarder can have anything left to read on `streamArn`, a stream that is not the table's current one. */
export function drainVerdict(streamArn: string, observed: Observed): DrainVerdict {
  const stream = observed.streams?.[streamArn];
  if (!stream) return { drained: false, reason: DrainReason.NotObserved };
  if (stream.status === 'GONE') return { drained: true, by: 'stream-deleted' };
  if (stream.status !== 'DISABLED') return { drained: false, reason: DrainReason.StreamOpen };
  const bound = supersededAt(streamArn, observed);
  if (bound === undefined) return { drained: false, reason: DrainReason.StreamReadable };
  const removeAfter = bound + STREAM_RETENTION_MS + DRAIN_MARGIN_MS;
  if (observed.observedAt !== undefined && observed.observedAt >= removeAfter) return { drained: true, by: 'retention-passed' };
  return { drained: false, reason: DrainReason.StreamReadable, removeAfter };
}

/**
 * Releases mappings on old streams: a drained one is deleted, the others are listed as
 * draining (a later run, typically the sweep, deletes them once drained).
 */
export function releaseOldMappings(mappings: readonly ObservedMapping[], observed: Observed, reason: 'old-stream' | 'table-deleted'): { actions: Action[]; draining: DrainingMapping[] } {
  const actions: Action[] = [];
  const draining: DrainingMapping[] = [];
  for (const m of mappings) {
    const verdict = drainVerdict(m.streamArn, observed);
    if (verdict.drained) actions.push({ type: 'delete-mapping', uuid: m.uuid, streamArn: m.streamArn, reason, drained: verdict.by });
    else draining.push({ uuid: m.uuid, streamArn: m.streamArn, reason: verdict.reason, ...(verdict.removeAfter !== undefined ? { removeAfter: verdict.removeAfter } : {}) });
  }
  return { actions, draining };
}
