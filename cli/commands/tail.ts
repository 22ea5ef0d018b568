/** `dms-event-bus tail`: follow the change stream and print each event, until Ctrl-C. */
import { createKinesisClient } from '../../src/aws/clients';
import { formatEventLine } from '../../local/display';
import { followKinesis } from '../../local/kinesis-reader';
import { parseChangeEvent } from '../../local/session';
import { describeForUser, UserFacingError } from '../errors';
import type { CommandIo } from './context';

export interface TailOptions {
  readonly streamName: string | undefined;
  /** From the oldest record kept instead of from now. */
  readonly fromStart: boolean;
  /** Print each record's JSON as it is instead of a summary line. */
  readonly json: boolean;
}

export async function runTail(options: TailOptions, io: CommandIo & { readonly signal: AbortSignal }): Promise<number> {
  const { streamName, fromStart, json } = options;
  if (!streamName) throw new UserFacingError('Which stream? Pass --stream-name <name> or set KINESIS_STREAM_NAME.');
  let follower;
  try {
    follower = await followKinesis({
      client: createKinesisClient(),
      streamName,
      from: fromStart ? 'TRIM_HORIZON' : 'LATEST',
      onRecord: (record) => {
        const event = parseChangeEvent(record.data, record.arrivedAt);
        if (json) io.out(Buffer.from(record.data).toString('utf8'));
        else io.out(event ? formatEventLine(event, new Date(record.arrivedAt)) : `(not a change event) ${Buffer.from(record.data).toString('utf8').slice(0, 120)}`);
      },
      onError: (error) => io.err(`tail: ${describeForUser(error)}`),
    });
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') throw new UserFacingError(`Kinesis stream ${streamName} not found${process.env.AWS_REGION ? ` in ${process.env.AWS_REGION}` : ''}.`);
    throw error;
  }
  io.err(`Following ${streamName} ${fromStart ? 'from the oldest record' : 'from now'}; Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await follower.stop();
  return 0;
}
