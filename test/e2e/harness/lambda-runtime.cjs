// One Lambda invocation in a fresh Node process, as the nodejs runtime does it: require the bundle (CommonJS,
// `handler` export: the init phase), then call handler(event, context) with a Lambda-like context whose time starts
// now, as Lambda's invocation timeout starts after init. Reports on fd 3, one JSON line each: `{"started": true}` when
// the handler is called (the parent's timeout starts then), then the outcome.
// Started by test/e2e/harness/lambda.ts; the invocation request arrives as JSON on stdin.
'use strict';

const { writeSync } = require('node:fs');

function report(outcome) {
  try {
    writeSync(3, `${JSON.stringify(outcome)}\n`);
  } catch {
    // The parent is gone; nothing to report to.
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const request = JSON.parse(input);
  let deadline = Number.POSITIVE_INFINITY;
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
    deadline = Date.now() + Number(request.timeoutMs);
    report({ started: true });
    const result = await module.handler(request.event, context);
    report({ ok: true, result: result === undefined ? null : result });
    process.exit(0);
  } catch (error) {
    report({ ok: false, errorType: error?.name || 'Error', errorMessage: error?.message ? error.message : String(error) });
    process.exit(1);
  }
});
