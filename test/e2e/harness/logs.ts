// CloudWatch Logs stand-in: each local build writes its log into a stream (one event per line, like CodeBuild's
// agent), and GetLogEvents serves it over the AWS JSON 1.1 protocol (`Logs_20140328.GetLogEvents`).
import { AwsServiceError } from './http.js';

interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

interface Stream {
  events: LogEvent[];
  /** A line still being written (no newline yet). */
  partial: string;
}

export class LogStore {
  private readonly groups = new Map<string, Map<string, Stream>>();

  createGroup(group: string): void {
    if (!this.groups.has(group)) this.groups.set(group, new Map());
  }

  createStream(group: string, stream: string): void {
    this.createGroup(group);
    const streams = this.groups.get(group)!;
    if (!streams.has(stream)) streams.set(stream, { events: [], partial: '' });
  }

  /** Appends build output; complete lines become events. */
  append(group: string, stream: string, text: string): void {
    const target = this.stream(group, stream);
    const lines = (target.partial + text).split('\n');
    target.partial = lines.pop() ?? '';
    const now = Date.now();
    for (const line of lines) target.events.push({ timestamp: now, message: `${line}\n`, ingestionTime: now });
  }

  /** Writes out a trailing partial line (the build ended). */
  flush(group: string, stream: string): void {
    const target = this.stream(group, stream);
    if (target.partial === '') return;
    const now = Date.now();
    target.events.push({ timestamp: now, message: target.partial, ingestionTime: now });
    target.partial = '';
  }

  /** The whole text of a stream. */
  text(group: string, stream: string): string {
    const target = this.stream(group, stream);
    return target.events.map((event) => event.message).join('') + target.partial;
  }

  /** Every message of every stream, for leak checks. */
  allText(): string {
    const out: string[] = [];
    for (const [group, streams] of this.groups) for (const stream of streams.keys()) out.push(this.text(group, stream));
    return out.join('\n');
  }

  private stream(group: string, stream: string): Stream {
    const streams = this.groups.get(group);
    if (streams === undefined) throw new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
    const found = streams.get(stream);
    if (found === undefined) throw new AwsServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return found;
  }

  /** Dispatches one `Logs_20140328.<operation>` call. */
  handle(operation: string, input: Record<string, unknown>): unknown {
    if (operation !== 'GetLogEvents') throw new AwsServiceError('UnknownOperationException', `Logs.${operation} is not emulated`);
    return this.getLogEvents(input);
  }

  /**
   * GetLogEvents: `startFromHead` false (the default) pages back from the newest events, as the real API does;
   * tokens are `f/<index>` and `b/<index>` positions.
   */
  private getLogEvents(input: Record<string, unknown>): unknown {
    const group = input.logGroupName;
    const streamName = input.logStreamName;
    if (typeof group !== 'string' || typeof streamName !== 'string') {
      throw new AwsServiceError('InvalidParameterException', 'logGroupName and logStreamName are required');
    }
    const events = this.stream(group, streamName).events;
    const limit = typeof input.limit === 'number' ? Math.min(Math.max(1, input.limit), 10_000) : 10_000;
    const token = typeof input.nextToken === 'string' ? input.nextToken : undefined;
    let start: number;
    let end: number;
    if (token?.startsWith('f/')) {
      start = Number(token.slice(2));
      end = Math.min(events.length, start + limit);
    } else if (token?.startsWith('b/')) {
      end = Number(token.slice(2));
      start = Math.max(0, end - limit);
    } else if (input.startFromHead === true) {
      start = 0;
      end = Math.min(events.length, limit);
    } else {
      end = events.length;
      start = Math.max(0, end - limit);
    }
    return {
      events: events.slice(start, end),
      nextForwardToken: `f/${end}`,
      nextBackwardToken: `b/${start}`,
    };
  }
}
