/**
 * The reconciler's plain data: what it observed of one table (observed), what it wants
 * (desired) and the difference as actions (the plan). No AWS types leak in here, so the
 * planning logic is pure and tests build these objects by hand.
 */
import type { CapacityMode, MappingSettings, StreamConflictPolicy } from '../src/config/reconciler';

export const STREAM_VIEW_TYPE = 'NEW_AND_OLD_IMAGES';
/** Tag written on a table when the reconciler enabled (or replaced) its stream. */
export const STREAM_TAG_KEY = 'dms-event-bus:stream-enabled-by';
export const STREAM_TAG_VALUE = 'reconciler';
/** Tag recording which stream (its label) the reconciler enabled, so a stream someone else enabled later is not taken for ours. */
export const STREAM_LABEL_TAG_KEY = 'dms-event-bus:stream-label';
/** Prefix of the scaling policies the reconciler owns; a target with one is "managed". */
export const POLICY_PREFIX = 'dms-event-bus-';
export const RESPONSE_TYPE = 'ReportBatchItemFailures';

export const ScalableDimension = {
  TableRead: 'dynamodb:table:ReadCapacityUnits',
  TableWrite: 'dynamodb:table:WriteCapacityUnits',
  IndexRead: 'dynamodb:index:ReadCapacityUnits',
  IndexWrite: 'dynamodb:index:WriteCapacityUnits',
} as const;
export type ScalableDimension = (typeof ScalableDimension)[keyof typeof ScalableDimension];

export interface ObservedIndex {
  name: string;
  /** CREATING | UPDATING | DELETING | ACTIVE */
  status: string;
}

export interface ObservedTable {
  name: string;
  arn: string;
  /** DescribeTable TableStatus: CREATING, UPDATING, DELETING, ACTIVE, ARCHIVED, ... */
  status: string;
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  stream: { enabled: boolean; viewType?: string; latestArn?: string };
  indexes: ObservedIndex[];
}

export interface ObservedMapping {
  uuid: string;
  streamArn: string;
  /** Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting */
  state: string;
  batchSize?: number;
  batchingWindowSeconds?: number;
  parallelizationFactor?: number;
  maxRetryAttempts?: number;
  maxRecordAgeSeconds?: number;
  bisectOnError?: boolean;
  functionResponseTypes: string[];
  onFailureDestination?: string;
}

export interface ObservedTarget {
  resourceId: string;
  dimension: string;
  minCapacity: number;
  maxCapacity: number;
}

export interface ObservedPolicy {
  policyName: string;
  resourceId: string;
  dimension: string;
  policyType: string;
  targetValue?: number;
  metricType?: string;
}

/** The table's backfill run as the state table records it (one run per table, the latest). */
export interface ObservedBackfillRun {
  /** The stream the run backfills for (the table's stream when the run started). */
  streamArn: string;
  runId: string;
  status: 'running' | 'done' | 'failed';
  /** Epoch ms of the run's last state write. */
  updatedAt: number;
}

/** What was observed of a table's backfill; only looked at for an ACTIVE table with a NEW_AND_OLD_IMAGES stream. */
export interface ObservedBackfill {
  run: ObservedBackfillRun | null;
  /** Milliseconds since the run's last state write, at observation time (no clock in the plan). */
  idleMs?: number;
  /**
   * The table's tags say the reconciler enabled its current stream (owner tag and stream label).
   * Undefined when not read: tags are read only when the run does not already satisfy the desired state.
   */
  streamEnabledByReconciler?: boolean;
}

/**
 * DescribeStream's view of a stream a mapping reads that is not the table's current
 * enabled stream (a disabled, superseded or deleted table's stream).
 */
export interface ObservedStream {
  /** StreamStatus (ENABLING, ENABLED, DISABLING, DISABLED), or GONE when DescribeStream no longer finds it. */
  status: 'ENABLING' | 'ENABLED' | 'DISABLING' | 'DISABLED' | 'GONE';
}

/** Everything observed about one table name (the table may be gone: `table: null`). */
export interface Observed {
  tableName: string;
  table: ObservedTable | null;
  /** The forwarder's mappings whose stream ARN names this table (any stream). */
  mappings: ObservedMapping[];
  /** Scaling targets of the table and its indexes (`table/NAME`, `table/NAME/index/*`). */
  targets: ObservedTarget[];
  policies: ObservedPolicy[];
  /** Undefined when not observed (backfill off, not wired, table without our stream, or the state read failed). */
  backfill?: ObservedBackfill;
  /** The streams of mappings not on the table's current enabled stream, by stream ARN (DescribeStream). */
  streams?: Record<string, ObservedStream>;
  /** Epoch ms of the observation (the plan has no clock; drain deadlines are judged against this). */
  observedAt?: number;
}

export interface Desired {
  streamConflictPolicy: StreamConflictPolicy;
  capacity: { mode: CapacityMode; minCapacity: number; maxCapacity: number; targetUtilization: number };
  mapping: MappingSettings;
  backfillEnabled: boolean;
  /** A running backfill without progress for this long is restarted (the backfill starter's own threshold). */
  backfillStallMs: number;
}

/** Marker for "the stream this plan enables" (its ARN is known only after UpdateTable). */
export const NEW_STREAM = 'new-stream' as const;

/** Every field of a mapping the reconciler compares: the configured settings plus the fixed ones. */
export interface MappingFields extends Omit<MappingSettings, 'onFailureDestination'> {
  functionResponseTypes: string[];
  /** Always present (undefined = no destination), so a removed destination is a drift too. */
  onFailureDestination: string | undefined;
  enabled: boolean;
}

export type Action =
  | { type: 'enable-stream'; viewType: typeof STREAM_VIEW_TYPE }
  | { type: 'disable-stream'; reason: 'replace-conflicting-view-type'; before: string }
  | { type: 'tag-stream-owner' }
  | { type: 'set-billing-mode'; billingMode: 'PAY_PER_REQUEST'; before: string }
  | { type: 'delete-mapping'; uuid: string; streamArn: string; reason: 'old-stream' | 'duplicate' | 'table-deleted'; drained?: DrainedBy }
  | { type: 'create-mapping'; streamArn: string | typeof NEW_STREAM }
  | { type: 'update-mapping'; uuid: string; changes: Partial<MappingFields>; before: Partial<MappingFields> }
  | { type: 'start-backfill'; reason: BackfillStartReason }
  | { type: 'register-target'; resourceId: string; dimension: string; minCapacity: number; maxCapacity: number; before?: { minCapacity: number; maxCapacity: number } }
  | { type: 'put-policy'; resourceId: string; dimension: string; policyName: string; targetValue: number; metricType: string }
  | { type: 'delete-policy'; resourceId: string; dimension: string; policyName: string }
  | { type: 'deregister-target'; resourceId: string; dimension: string; reason: 'table-deleted' | 'index-deleted' | 'not-provisioned' };

export type ActionType = Action['type'];

/** Why the plan starts a backfill; the backfill starter itself decides create / resume / kick. */
export const BackfillStartReason = {
  /** The plan enables the stream: every row written before it must be published. */
  StreamEnabled: 'stream-enabled',
  /** The reconciler's stream has no run yet (an earlier start failed, or stopped before it). */
  NoRun: 'no-run',
  /** The run is for an older stream (the table was re-created or its stream replaced). */
  OlderStream: 'older-stream',
  /** The run failed: resume it from its checkpoints. */
  Failed: 'failed',
  /** The run is `running` but made no progress for the stall threshold. */
  Stalled: 'stalled',
} as const;
export type BackfillStartReason = (typeof BackfillStartReason)[keyof typeof BackfillStartReason];

/** What showed that a mapping's old stream holds nothing unread any more. */
export type DrainedBy = 'stream-deleted' | 'retention-passed';

/** Stream label (the part after `/stream/`) of a stream ARN. */
export function streamLabelOf(streamArn: string): string | undefined {
  return streamArn.split('/stream/')[1];
}

export const ConflictKind = {
  StreamViewType: 'stream-view-type',
  ForeignScalingPolicy: 'foreign-scaling-policy',
  TableUnavailable: 'table-unavailable',
} as const;
export type ConflictKind = (typeof ConflictKind)[keyof typeof ConflictKind];

export interface Conflict {
  kind: ConflictKind;
  message: string;
  detail: Record<string, unknown>;
}

/** What the plan concluded about the table as a whole. */
export const PlanState = {
  /** Table exists and is ACTIVE: actions converge it. */
  Active: 'active',
  /** Table is CREATING/UPDATING: wait, then plan again. */
  NotReady: 'not-ready',
  /** Table is gone (or DELETING): actions remove what the reconciler left behind. */
  Gone: 'gone',
  /** Table exists in a state the reconciler cannot act on (ARCHIVED, ...). */
  Unavailable: 'unavailable',
} as const;
export type PlanState = (typeof PlanState)[keyof typeof PlanState];

/** Why a mapping on an old stream is kept for now, and until when. */
export const DrainReason = {
  /** The stream was not described: nothing proves it is drained. */
  NotObserved: 'stream-not-observed',
  /** The stream is still ENABLED/ENABLING/DISABLING: its shards may still take records. */
  StreamOpen: 'stream-open',
  /** The stream is DISABLED and still readable (its 24 hours have not passed). */
  StreamReadable: 'stream-readable',
} as const;
export type DrainReason = (typeof DrainReason)[keyof typeof DrainReason];

/** A mapping on a disabled or superseded stream, kept so the forwarder reads the stream to its end. */
export interface DrainingMapping {
  uuid: string;
  streamArn: string;
  reason: DrainReason;
  /** Epoch ms after which the mapping is deleted; undefined: when DynamoDB deletes the stream (24 h after DeleteTable). */
  removeAfter?: number;
}

export interface Plan {
  tableName: string;
  state: PlanState;
  actions: Action[];
  conflicts: Conflict[];
  /** Mappings on old streams kept until drained (no action now; a later run deletes them). */
  draining: DrainingMapping[];
  /** Some part cannot converge yet (an index still CREATING): look again later. */
  revisitLater: boolean;
}

/** Resource id of the table for Application Auto Scaling. */
export function tableResourceId(tableName: string): string {
  return `table/${tableName}`;
}

export function indexResourceId(tableName: string, indexName: string): string {
  return `table/${tableName}/index/${indexName}`;
}

/**
 * Table name named by a DynamoDB stream ARN
 * (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`), or undefined.
 */
export function tableNameOfStreamArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\/.+$/.exec(arn);
  return match?.[1];
}

/** Table name of an Application Auto Scaling DynamoDB resource id, or undefined. */
export function tableNameOfResourceId(resourceId: string): string | undefined {
  return /^table\/([^/]+)(\/index\/[^/]+)?$/.exec(resourceId)?.[1];
}

export function isManagedPolicy(policy: ObservedPolicy): boolean {
  return policy.policyName.startsWith(POLICY_PREFIX);
}
