// One local HTTP endpoint for the AWS services moto cannot stand in for: CodeBuild and CloudWatch Logs (AWS JSON
// 1.1, routed by X-Amz-Target) and Lambda Invoke (REST). The real SDK clients reach it through
// AWS_ENDPOINT_URL_CODEBUILD, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS and AWS_ENDPOINT_URL_LAMBDA. Signatures are not
// checked (moto does not check them either). Every call is recorded for assertions.
import type { CodeBuildEmulator } from './codebuild.js';
import { AwsServiceError, readBody, sendAwsJson, sendAwsJsonError, sendRestJsonError, startHttpServer, type LocalHttpServer } from './http.js';
import type { LambdaEmulator } from './lambda.js';
import type { LogStore } from './logs.js';

export interface AwsCall {
  readonly at: number;
  readonly service: 'codebuild' | 'logs' | 'lambda';
  readonly operation: string;
  /** The parsed request input (the Lambda payload for Invoke). */
  readonly input: unknown;
  /** HTTP status answered. */
  status?: number;
  errorCode?: string;
}

export interface AwsEmulator extends LocalHttpServer {
  calls(): readonly AwsCall[];
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startAwsEmulator(services: { codeBuild: CodeBuildEmulator; logs: LogStore; lambda: LambdaEmulator }): Promise<AwsEmulator> {
  const calls: AwsCall[] = [];
  const server = await startHttpServer('local AWS emulator', async (request, response) => {
    const body = await readBody(request);
    const target = request.headers['x-amz-target'];
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;

    if (typeof target === 'string') {
      const [prefix, operation = ''] = target.split('.');
      const service = prefix === 'CodeBuild_20161006' ? 'codebuild' : prefix === 'Logs_20140328' ? 'logs' : undefined;
      let input: Record<string, unknown> = {};
      const call: AwsCall = { at: Date.now(), service: service ?? 'codebuild', operation, input };
      try {
        input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        (call as { input: unknown }).input = input;
        if (service === undefined) throw new AwsServiceError('UnknownOperationException', `X-Amz-Target ${target} is not emulated`);
        calls.push(call);
        const result = service === 'codebuild' ? await services.codeBuild.handle(operation, input) : services.logs.handle(operation, input);
        call.status = 200;
        sendAwsJson(response, 200, result);
      } catch (error) {
        const serviceError = error instanceof AwsServiceError ? error : new AwsServiceError('InternalFailure', String(error), 500);
        call.status = serviceError.status;
        call.errorCode = serviceError.code;
        sendAwsJsonError(response, serviceError);
      }
      return;
    }

    const invoke = request.method === 'POST' ? INVOKE_PATH.exec(path) : null;
    if (invoke) {
      const functionName = decodeURIComponent(invoke[1]!);
      const invocationType = request.headers['x-amz-invocation-type'];
      const call: AwsCall = { at: Date.now(), service: 'lambda', operation: 'Invoke', input: { functionName, invocationType, payload: body.toString('utf8') } };
      calls.push(call);
      try {
        const result = await services.lambda.handleInvoke(functionName, typeof invocationType === 'string' ? invocationType : undefined, body);
        call.status = result.status;
        response.writeHead(result.status, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': crypto.randomUUID() });
        response.end(result.body);
      } catch (error) {
        const serviceError = error instanceof AwsServiceError ? error : new AwsServiceError('ServiceException', String(error), 500);
        call.status = serviceError.status;
        call.errorCode = serviceError.code;
        sendRestJsonError(response, serviceError);
      }
      return;
    }

    sendAwsJsonError(response, new AwsServiceError('UnknownOperationException', `${request.method} ${path} is not emulated`, 404));
  });
  return { ...server, calls: () => [...calls] };
}
