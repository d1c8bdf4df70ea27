// Lambda stand-in: functions are bundles (dist/<name>/index.js) with an environment and a timeout; every
// invocation runs in a fresh `node` process (lambda-runtime.cjs) with a Lambda-like context, and is killed when the
// timeout passes, as Lambda does. As in Lambda, the timeout counts from the handler's call: loading the bundle (the
// init phase, which Lambda bounds separately) does not use it up, so a slow host does not shorten the invocation. `Invoke` over REST (`POST /2015-03-31/functions/<name>/invocations`) with
// `X-Amz-Invocation-Type: Event` answers 202 at once and runs the function in the background: that is how the
// mirror function hands a long build over to a fresh invocation of itself. As in Lambda, an asynchronous invocation
// that fails or times out is retried twice (after short delays here instead of Lambda's minutes), so a handler
// that throws after answering would show up as a second answer.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AwsServiceError } from './http.js';

const RUNTIME = fileURLToPath(new URL('./lambda-runtime.cjs', import.meta.url));
const OUTPUT_LIMIT = 4 * 1024 * 1024;
/** Only a hang: Lambda's own init limit is 10 s, but a loaded test host may take longer to start node and load a bundle. */
const INIT_LIMIT_MS = 120_000;

export interface LambdaFunction {
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the CommonJS bundle exporting `handler`. */
  readonly bundle: string;
  /** Function environment (the runtime adds AWS_REGION, credentials, ...). */
  environment: Record<string, string>;
  timeoutMs: number;
  memoryMb: number;
}

/** Who started an invocation. */
export type InvocationSource = 'cloudformation' | 'macro' | 'lambda-api';

export interface InvocationRecord {
  readonly id: string;
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly source: InvocationSource;
  readonly invocationType: 'Event' | 'RequestResponse';
  /** 1 for the first attempt; 2 and 3 for Lambda's retries of a failed asynchronous invocation. */
  readonly attempt: number;
  readonly event: unknown;
  readonly startedAt: number;
  /** When the handler was called (after init): the timeout counts from here. */
  invokedAt?: number;
  endedAt?: number;
  /** `ok` (handler resolved), `error` (it threw or the process died) or `timeout` (killed at the timeout). */
  status: 'running' | 'ok' | 'error' | 'timeout';
  result?: unknown;
  error?: string;
  /** Everything the invocation printed (its CloudWatch log). */
  output: string;
  readonly finished: Promise<InvocationRecord>;
}

export class LambdaEmulator {
  private readonly functions = new Map<string, LambdaFunction>();
  private readonly invocations: InvocationRecord[] = [];
  private readonly children = new Set<number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private pendingRetries: Array<Promise<void>> = [];

  constructor(
    private readonly options: {
      region: string;
      accountId: string;
      /** Variables every function gets besides its own (credentials, endpoint URLs). */
      runtimeEnvironment: Record<string, string>;
      /** Delays before the two retries of a failed asynchronous invocation (Lambda: about 1 and 2 minutes). */
      asyncRetryDelaysMs?: readonly [number, number];
      /**
       * Lambda kills an invocation at its timeout; with a grace the kill comes this much later (the function still
       * plans with its timeout: getRemainingTimeInMillis). For tests whose host may run a function's last steps late.
       */
      killGraceMs?: number;
    },
  ) {}

  putFunction(fn: LambdaFunction): void {
    this.functions.set(fn.name, fn);
  }

  getFunction(nameOrArn: string): LambdaFunction {
    const name = this.functionName(nameOrArn);
    const fn = this.functions.get(name);
    if (fn === undefined) {
      throw new AwsServiceError('ResourceNotFoundException', `Function not found: arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${name}`, 404);
    }
    return fn;
  }

  allInvocations(): readonly InvocationRecord[] {
    return [...this.invocations];
  }

  /** Resolves once no invocation is running or waiting for a retry (including ones started while waiting). */
  async idle(): Promise<void> {
    for (;;) {
      const running = this.invocations.filter((invocation) => invocation.status === 'running');
      if (running.length === 0 && this.pendingRetries.length === 0) return;
      await Promise.all([...running.map((invocation) => invocation.finished), ...this.pendingRetries]);
    }
  }

  /** Kills every running invocation (harness shutdown). */
  async stopAll(): Promise<void> {
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.pendingRetries = [];
    for (const pid of this.children) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.idle();
  }

  /** Starts an invocation; `finished` resolves when it ends (never rejects). */
  invoke(
    nameOrArn: string,
    event: unknown,
    source: InvocationSource,
    invocationType: 'Event' | 'RequestResponse' = 'Event',
    retry: { attempt: number; awsRequestId: string } = { attempt: 1, awsRequestId: randomUUID() },
  ): InvocationRecord {
    const fn = this.getFunction(nameOrArn);
    const invokedFunctionArn = nameOrArn.startsWith('arn:') ? nameOrArn : fn.arn;
    const { awsRequestId, attempt } = retry;
    const startedAt = Date.now();
    let settle!: (record: InvocationRecord) => void;
    const record: InvocationRecord = {
      id: awsRequestId,
      functionName: fn.name,
      invokedFunctionArn,
      source,
      invocationType,
      attempt,
      event,
      startedAt,
      status: 'running',
      output: '',
      finished: new Promise<InvocationRecord>((resolve) => (settle = resolve)),
    };
    this.invocations.push(record);

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: fn.bundle.replace(/\/[^/]+$/, ''),
      ...this.options.runtimeEnvironment,
      ...fn.environment,
    };
    const child = spawn(process.execPath, [RUNTIME], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) this.children.add(child.pid);
    // A failed spawn still ends in 'close' (recorded as an error below); stdin may break if the child dies early.
    child.once('error', (error) => (record.error = error.message));
    child.stdin!.on('error', () => {});
    const append = (chunk: Buffer): void => {
      if (record.output.length < OUTPUT_LIMIT) record.output += chunk.toString('utf8');
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const kill = (why: string): void => {
      record.status = 'timeout';
      record.error = why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    // Lambda bounds init at 10 s; a loaded host may load the bundle slower, so here only a hang ends it.
    let timer = setTimeout(() => kill(`Init did not finish within ${INIT_LIMIT_MS / 1000} seconds`), INIT_LIMIT_MS);
    let fd3 = '';
    let outcome = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      fd3 += chunk.toString('utf8');
      for (let newline = fd3.indexOf('\n'); newline !== -1; newline = fd3.indexOf('\n')) {
        const line = fd3.slice(0, newline);
        fd3 = fd3.slice(newline + 1);
        if (line === '{"started":true}') {
          record.invokedAt = Date.now();
          clearTimeout(timer);
          timer = setTimeout(() => kill(`Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`), fn.timeoutMs + (this.options.killGraceMs ?? 0));
        } else outcome = line;
      }
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (fd3.trim() !== '') outcome = fd3;
      if (child.pid !== undefined) this.children.delete(child.pid);
      record.endedAt = Date.now();
      if (record.status !== 'timeout') {
        try {
          const parsed = JSON.parse(outcome) as { ok: boolean; result?: unknown; errorType?: string; errorMessage?: string };
          record.status = parsed.ok ? 'ok' : 'error';
          if (parsed.ok) record.result = parsed.result;
          else record.error = `${parsed.errorType}: ${parsed.errorMessage}`;
        } catch {
          record.status = 'error';
          record.error = `Runtime exited without a result (code ${code}, signal ${signal})`;
        }
      }
      if (invocationType === 'Event' && record.status !== 'ok' && attempt < 3) this.scheduleRetry(nameOrArn, event, source, attempt, awsRequestId);
      settle(record);
    });
    child.stdin!.end(JSON.stringify({ event, bundle: fn.bundle, functionName: fn.name, invokedFunctionArn, awsRequestId, timeoutMs: fn.timeoutMs, memoryMb: fn.memoryMb }));
    return record;
  }

  private scheduleRetry(nameOrArn: string, event: unknown, source: InvocationSource, attempt: number, awsRequestId: string): void {
    const delays = this.options.asyncRetryDelaysMs ?? [1_000, 2_000];
    const pending = new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.retryTimers.delete(timer);
          this.pendingRetries = this.pendingRetries.filter((p) => p !== pending);
          this.invoke(nameOrArn, event, source, 'Event', { attempt: attempt + 1, awsRequestId });
          resolve();
        },
        delays[attempt - 1],
      );
      this.retryTimers.add(timer);
    });
    this.pendingRetries.push(pending);
  }

  /** REST `Invoke`: 202 for `Event`, the handler's result for `RequestResponse`. */
  async handleInvoke(nameOrArn: string, invocationType: string | undefined, payload: Buffer): Promise<{ status: number; body: string }> {
    const type = invocationType ?? 'RequestResponse';
    if (type !== 'Event' && type !== 'RequestResponse') {
      throw new AwsServiceError('InvalidParameterValueException', `InvocationType ${type} is not emulated`);
    }
    let event: unknown;
    try {
      event = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
    } catch {
      throw new AwsServiceError('InvalidRequestContentException', 'Could not parse request body into json');
    }
    if (type === 'Event' && payload.length > 1024 * 1024) {
      throw new AwsServiceError('RequestTooLargeException', 'Request must be smaller than 1048576 bytes for the InvokeFunction operation', 413);
    }
    const record = this.invoke(nameOrArn, event, 'lambda-api', type);
    if (type === 'Event') return { status: 202, body: '' };
    const done = await record.finished;
    return { status: 200, body: JSON.stringify(done.result ?? null) };
  }

  private functionName(nameOrArn: string): string {
    const match = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(nameOrArn);
    return match ? match[1]! : nameOrArn;
  }
}
