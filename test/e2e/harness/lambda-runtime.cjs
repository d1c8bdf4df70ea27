// One Lambda invocation in a fresh Node process, as the nodejs runtime does it: require the bundle (CommonJS,
// `handler` export), call handler(event, context) with a Lambda-like context, report the outcome on fd 3.
// Started by test/e2e/harness/lambda.ts; the invocation request arrives as JSON on stdin.
'use strict';

const { writeSync } = require('node:fs');

function report(outcome) {
  try {
    writeSync(3, JSON.stringify(outcome));
  } catch {
    // The parent is gone; nothing to report to.
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const request = JSON.parse(input);
  const deadline = Number(request.deadline);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: request.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: request.invokedFunctionArn,
    memoryLimitInMB: String(request.memoryMb),
    awsRequestId: request.awsRequestId,
    logGroupName: `/aws/lambda/${request.functionName}`,
    logStreamName: `local/[$LATEST]${request.awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  try {
    const module = require(request.bundle);
    if (typeof module.handler !== 'function') throw new Error(`${request.bundle} exports no handler function`);
    const result = await module.handler(request.event, context);
    report({ ok: true, result: result === undefined ? null : result });
    process.exit(0);
  } catch (error) {
    report({ ok: false, errorType: error?.name || 'Error', errorMessage: error?.message ? error.message : String(error) });
    process.exit(1);
  }
});
