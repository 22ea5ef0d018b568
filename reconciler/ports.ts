/**
 * The small interfaces the operator talks to. The real implementations are the AWS
 * adapters (reconciler/adapters/*); tests and the benchmark pass in-memory fakes.
 * Each method is one AWS API call (list methods: one page), so counting calls is exact.
 * Adapters throw only {@link AwsCallError}; "not found" on reads is a value, not an error.
 */
import type { ObservedBackfillRun, ObservedMapping, ObservedPolicy, ObservedStream, ObservedTable, ObservedTarget, MappingFields } from './model';

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; undefined on the last page. */
  next?: string;
}

export interface TablePort {
  /** ListTables, one page (up to 100 names). */
  listTables(exclusiveStartTableName?: string): Promise<Page<string>>;
  /** DescribeTable; null when the table does not exist. */
  describeTable(tableName: string): Promise<ObservedTable | null>;
  /**
   * UpdateTable StreamSpecification {StreamEnabled: true, StreamViewType}. Returns the new
   * stream from UpdateTable's own TableDescription (LatestStreamArn / LatestStreamLabel):
   * DescribeTable is eventually consistent and may still name the previous stream.
   */
  enableStream(tableName: string, viewType: string): Promise<EnabledStream>;
  /** UpdateTable StreamSpecification {StreamEnabled: false}. */
  disableStream(tableName: string): Promise<void>;
  /** UpdateTable BillingMode. */
  setBillingMode(tableName: string, billingMode: 'PAY_PER_REQUEST'): Promise<void>;
  /** TagResource. */
  tagTable(tableArn: string, tags: Record<string, string>): Promise<void>;
  /** ListTagsOfResource (all pages). */
  listTags(tableArn: string): Promise<Record<string, string>>;
  /** UntagResource; a table already gone is success (nothing is left to untag). */
  untagTable(tableArn: string, keys: string[]): Promise<void>;
}

/** The stream UpdateTable reports having enabled; fields absent when the response lacks them. */
export interface EnabledStream {
  streamArn?: string;
  streamLabel?: string;
}

/** DynamoDB Streams (its own endpoint): the state of a stream a mapping still reads. */
export interface StreamPort {
  /** DescribeStream (first page: the status); `{ status: 'GONE' }` when the stream no longer exists. */
  describeStream(streamArn: string): Promise<ObservedStream>;
}

export interface MappingSpec extends MappingFields {
  streamArn: string;
}

export interface MappingPort {
  /** ListEventSourceMappings of the forwarder, optionally for one stream; one page. */
  list(query: { eventSourceArn?: string }, marker?: string): Promise<Page<ObservedMapping>>;
  /** CreateEventSourceMapping (StartingPosition TRIM_HORIZON). Throws kind `conflict` when one exists. */
  create(spec: MappingSpec): Promise<ObservedMapping>;
  /** UpdateEventSourceMapping with only the changed fields. */
  update(uuid: string, changes: Partial<MappingFields>): Promise<void>;
  /** DeleteEventSourceMapping; a mapping already gone is success. */
  delete(uuid: string): Promise<void>;
}

export interface ScalingPort {
  /** DescribeScalableTargets (namespace dynamodb), optionally for some resource ids (<= 50); one page. */
  listTargets(query: { resourceIds?: string[] }, next?: string): Promise<Page<ObservedTarget>>;
  /** DescribeScalingPolicies (namespace dynamodb), optionally for one resource id; one page. */
  listPolicies(query: { resourceId?: string }, next?: string): Promise<Page<ObservedPolicy>>;
  registerTarget(target: ObservedTarget): Promise<void>;
  putPolicy(policy: { resourceId: string; dimension: string; policyName: string; targetValue: number; metricType: string }): Promise<void>;
  /** DeleteScalingPolicy; already gone is success. */
  deletePolicy(policy: { resourceId: string; dimension: string; policyName: string }): Promise<void>;
  /** DeregisterScalableTarget; already gone is success. */
  deregisterTarget(target: { resourceId: string; dimension: string }): Promise<void>;
}

export const AnnouncementType = {
  TableReady: 'Table Ready',
  TableConflict: 'Table Conflict',
  TableResourcesRemoved: 'Table Resources Removed',
  TableReleased: 'Table Released',
} as const;
export type AnnouncementType = (typeof AnnouncementType)[keyof typeof AnnouncementType];

export interface Announcement {
  detailType: AnnouncementType;
  detail: Record<string, unknown>;
}

export interface AnnouncePort {
  /** PutEvents (source `dms-event-bus`), batched by 10. */
  announce(announcements: Announcement[]): Promise<void>;
}

/** A backfill run as listed for a sweep (the state table's key names the table). */
export interface BackfillRunEntry extends ObservedBackfillRun {
  tableName: string;
}

/**
 * The backfill of rows written before the stream existed (the backfill module's
 * BackfillController implements it). The operator observes runs like any other state and
 * calls start() when its plan says so; start() itself decides create, resume or kick.
 */
export interface BackfillStarter {
  start(request: {
    tableName: string;
    tableArn: string;
    streamArn: string;
    reason: 'stream-enabled' | 'manual';
    force?: boolean;
  }): Promise<'started' | 'already-running' | 'already-done'>;
  /** The table's run (state table GetItem), or null when none was ever started. */
  getRun(tableName: string): Promise<ObservedBackfillRun | null>;
  /** One page of every table's run (state table Scan, summary fields only). */
  listRuns(next?: string): Promise<Page<BackfillRunEntry>>;
  /** A running run without progress for this long is kicked by start(). */
  readonly stallAfterMs: number;
}

/** Time source; tests pass a fake that advances without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
