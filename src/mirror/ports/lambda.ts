// The Lambda adapter: the asynchronous invoke of this function that hands a wait over.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { sendOptions } from './sdk.js';
import type { AwsPorts } from './types.js';

/** The Lambda port over one client (made on first use by `client`). */
export function lambdaPorts(client: () => LambdaClient): Pick<AwsPorts, 'invokeSelf'> {
  return {
    async invokeSelf(functionArn, payload, call) {
      const answer = await client().send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from(payload, 'utf8') }), sendOptions(call));
      if (answer.StatusCode !== undefined && answer.StatusCode !== 202) {
        throw new Error(`Lambda accepted the asynchronous invoke with status ${answer.StatusCode}, not 202`);
      }
    },
  };
}
