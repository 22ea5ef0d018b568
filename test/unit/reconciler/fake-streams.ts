/**
 * DynamoDB Streams as AWS documents them, for the fake control plane
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html): a stream's
 * label is its creation time; a disabled stream stays DISABLED and readable for 24 hours;
 * a deleted table's stream is deleted 24 hours after DeleteTable
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html);
 * records are trimmed 24 hours after they were written. `poll` plays Lambda's poller: each
 * Enabled mapping reads, from its checkpoint, what is still readable on its stream.
 */
import type { ObservedMapping, ObservedStream } from '../../../reconciler/model';
import type { Clock } from '../../../reconciler/ports';

/** One stream as DynamoDB keeps it. */
export interface FakeStream {
  tableName: string;
  createdAt: number;
  /** When it was disabled (UpdateTable or DeleteTable); set on first look when a test swapped it out by hand. */
  disabledAt?: number;
  /** DeleteTable disabled it: DynamoDB deletes it 24 hours later. */
  tableDeleted?: boolean;
  records: { sequenceNumber: number; writtenAt: number }[];
}

/** A record a mapping handed to the forwarder. */
export interface DeliveredRecord {
  uuid: string;
  streamArn: string;
  sequenceNumber: number;
}

const DAY_MS = 24 * 3600_000;

export class FakeStreams {
  /** Every stream ever created, by ARN. */
  readonly streams = new Map<string, FakeStream>();
  readonly delivered: DeliveredRecord[] = [];
  private readonly checkpoints = new Map<string, number>();
  private sequence = 0;
  private lastLabelMs = 0;

  /** `isEnabled(arn)`: whether some table has `arn` as its enabled latest stream. */
  constructor(private readonly clock: Pick<Clock, 'now'>, private readonly isEnabled: (streamArn: string) => boolean) {}

  /** A new stream of the table; its label is its creation time (unique per table, as AWS's are). */
  create(tableArn: string, tableName: string): string {
    const ms = Math.max(this.clock.now(), this.lastLabelMs + 1);
    this.lastLabelMs = ms;
    const arn = `${tableArn}/stream/${new Date(ms).toISOString().slice(0, -1)}`;
    this.streams.set(arn, { tableName, createdAt: ms, records: [] });
    return arn;
  }

  /** UpdateTable StreamEnabled=false, or DeleteTable (`tableDeleted`): the stream turns DISABLED now. */
  disable(streamArn: string, options: { tableDeleted?: boolean } = {}): void {
    const stream = this.streams.get(streamArn);
    if (!stream) return;
    stream.disabledAt = this.clock.now();
    if (options.tableDeleted) stream.tableDeleted = true;
  }

  /** `count` item writes: one record each. */
  write(streamArn: string, count: number): void {
    const stream = this.streams.get(streamArn);
    if (!stream) return;
    for (let i = 0; i < count; i++) stream.records.push({ sequenceNumber: ++this.sequence, writtenAt: this.clock.now() });
  }

  /** Every Enabled mapping reads what is still readable on its stream, from its checkpoint. */
  poll(mappings: Iterable<ObservedMapping>): void {
    for (const mapping of mappings) {
      const stream = this.streams.get(mapping.streamArn);
      if (mapping.state !== 'Enabled' || !stream || this.status(mapping.streamArn) === 'GONE') continue;
      const from = this.checkpoints.get(mapping.uuid) ?? 0;
      for (const record of stream.records.filter((r) => r.sequenceNumber > from && this.readable(stream, r.writtenAt))) {
        this.delivered.push({ uuid: mapping.uuid, streamArn: mapping.streamArn, sequenceNumber: record.sequenceNumber });
        this.checkpoints.set(mapping.uuid, record.sequenceNumber);
      }
    }
  }

  /** StreamStatus as DescribeStream reports it; GONE once DynamoDB deleted the stream (or never had it). */
  status(streamArn: string): ObservedStream['status'] {
    const stream = this.streams.get(streamArn);
    if (!stream) return 'GONE';
    if (this.isEnabled(streamArn)) return 'ENABLED';
    stream.disabledAt ??= this.clock.now();
    if (stream.tableDeleted && this.clock.now() >= stream.disabledAt + DAY_MS) return 'GONE';
    return 'DISABLED';
  }

  private readable(stream: FakeStream, writtenAt: number): boolean {
    const now = this.clock.now();
    return now < writtenAt + DAY_MS && (stream.disabledAt === undefined || now < stream.disabledAt + DAY_MS);
  }
}
