// The CloudWatch Logs adapter: the last lines of a build's log stream.
import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { sendOptions } from './sdk.js';
import type { AwsPorts } from './types.js';

/** The CloudWatch Logs port over one client (made on first use by `client`). */
export function logsPorts(client: () => CloudWatchLogsClient): Pick<AwsPorts, 'tailBuildLog'> {
  return {
    async tailBuildLog(groupName, streamName, lines, call) {
      const answer = await client().send(
        new GetLogEventsCommand({ logGroupName: groupName, logStreamName: streamName, limit: lines, startFromHead: false }),
        sendOptions(call),
      );
      const text = (answer.events ?? []).flatMap((event) => (event.message ?? '').replace(/\r?\n$/, '').split(/\r?\n/));
      return text.slice(-lines);
    },
  };
}
