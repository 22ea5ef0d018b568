/**
 * A provisioned table under a DynamoDB auto scaling target-tracking policy on read capacity,
 * scaling the way AWS documents it, driven by the capacity the scan consumes on a fake clock:
 * - consumption is judged per minute (CloudWatch's ConsumedReadCapacityUnits, 1-minute periods);
 * - scale out when utilization is above the target for 2 consecutive minutes, scale in when it
 *   is 20 points or more below the target for 15 consecutive minutes
 *   (https://repost.aws/knowledge-center/dynamodb-auto-scaling);
 * - the new capacity is what brings the metric back to the target (consumed / target), within
 *   the scalable target's minimum and maximum; target tracking scales in more gradually than
 *   out (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html);
 * - at most 27 decreases per table per UTC day
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 * Its scan hands out `pagesPerSegment` one-item pages per segment, each consuming `rcuPerPage`.
 */
import type { ScanPage, ScanPageRequest, SourceTable, SourceTableInfo } from '../../../snapshot/source-table';

export interface AutoScalingOptions {
  readonly initialRcu: number;
  readonly minRcu: number;
  readonly maxRcu: number;
  /** Target utilization in percent (the reconciler's default is 70). */
  readonly targetPercent: number;
  readonly pagesPerSegment: number;
  readonly rcuPerPage: number;
  readonly now: () => number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const SCALE_OUT_MINUTES = 2;
const SCALE_IN_MINUTES = 15;
const SCALE_IN_BELOW_POINTS = 20;
const MAX_DECREASES_PER_DAY = 27;

export class AutoScalingTable implements SourceTable {
  /** Provisioned RCU now. */
  provisionedRcu: number;
  /** Every change of provisioned capacity: when, and to what. */
  readonly history: Array<{ at: number; rcu: number }> = [];
  /** Minutes in which the table was asked for more than it had (reads would have been throttled). */
  overConsumedMinutes = 0;
  private readonly consumedByMinute = new Map<number, number>();
  private evaluatedUpTo: number;
  /** The first minute the table was observed: alarms need full windows of data after it. */
  private readonly firstMinute: number;
  private decreases = new Map<number, number>();

  constructor(
    private readonly options: AutoScalingOptions,
    readonly info: Omit<SourceTableInfo, 'capacity'>,
  ) {
    this.provisionedRcu = options.initialRcu;
    this.firstMinute = Math.floor(options.now() / MINUTE_MS);
    this.evaluatedUpTo = this.firstMinute;
  }

  async describe(): Promise<SourceTableInfo> {
    this.evaluate();
    return { ...this.info, capacity: { billingMode: 'PROVISIONED', readCapacityUnits: this.provisionedRcu } };
  }

  async scanPage(request: ScanPageRequest): Promise<ScanPage> {
    this.evaluate();
    const minute = Math.floor(this.options.now() / MINUTE_MS);
    this.consumedByMinute.set(minute, (this.consumedByMinute.get(minute) ?? 0) + this.options.rcuPerPage);
    const index = request.exclusiveStartKey === undefined ? 0 : Number(request.exclusiveStartKey.page?.N) + 1;
    const id = `s${request.segment}-p${index}`;
    return {
      items: [{ id: { S: id } }],
      lastKey: index + 1 < this.options.pagesPerSegment ? { id: { S: id }, page: { N: String(index) } } : undefined,
      consumedRcu: this.options.rcuPerPage,
    };
  }

  /** Utilization in percent of one finished minute, at the capacity the table had then. */
  private utilization(minute: number, rcu: number): number {
    return ((this.consumedByMinute.get(minute) ?? 0) / 60 / rcu) * 100;
  }

  /** Runs the alarms over every minute that has ended since the last evaluation. */
  private evaluate(): void {
    const current = Math.floor(this.options.now() / MINUTE_MS);
    for (let minute = this.evaluatedUpTo; minute < current; minute++) {
      if (this.utilization(minute, this.provisionedRcu) > 100) this.overConsumedMinutes++;
      this.alarm(minute);
    }
    this.evaluatedUpTo = Math.max(this.evaluatedUpTo, current);
  }

  private alarm(minute: number): void {
    const { targetPercent } = this.options;
    const window = (length: number) => Array.from({ length }, (_, i) => minute - i);
    const consumedPerSecond = (minutes: number[]) => minutes.reduce((sum, m) => sum + (this.consumedByMinute.get(m) ?? 0), 0) / (60 * minutes.length);
    // A window counts only minutes at one capacity, after the table was first observed.
    const sinceLastChange = Math.max(this.firstMinute, (this.history.at(-1)?.at ?? -Infinity) / MINUTE_MS);
    const high = window(SCALE_OUT_MINUTES);
    if (high.every((m) => m >= sinceLastChange && this.utilization(m, this.provisionedRcu) > targetPercent)) {
      this.setCapacity(minute, consumedPerSecond(high));
      return;
    }
    const low = window(SCALE_IN_MINUTES);
    if (low.every((m) => m >= sinceLastChange && this.utilization(m, this.provisionedRcu) <= targetPercent - SCALE_IN_BELOW_POINTS)) {
      const day = Math.floor((minute * MINUTE_MS) / DAY_MS);
      if ((this.decreases.get(day) ?? 0) >= MAX_DECREASES_PER_DAY) return;
      if (this.setCapacity(minute, consumedPerSecond(low))) this.decreases.set(day, (this.decreases.get(day) ?? 0) + 1);
    }
  }

  /** Sets the capacity that puts `consumedPerSecond` at the target; true when it went down. */
  private setCapacity(minute: number, consumedPerSecond: number): boolean {
    const { minRcu, maxRcu, targetPercent } = this.options;
    const next = Math.min(maxRcu, Math.max(minRcu, Math.ceil(consumedPerSecond / (targetPercent / 100))));
    if (next === this.provisionedRcu) return false;
    const down = next < this.provisionedRcu;
    this.provisionedRcu = next;
    this.history.push({ at: (minute + 1) * MINUTE_MS, rcu: next });
    return down;
  }
}
