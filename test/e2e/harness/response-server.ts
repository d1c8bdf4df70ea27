// Stands in for the presigned S3 URLs CloudFormation hands custom resources as ResponseURL. Every PUT is recorded
// (accepted or not); a URL is only honoured with the signature it was issued with, and the first N PUTs can be
// failed on purpose to exercise the sender's retries.
import { randomBytes, randomUUID } from 'node:crypto';
import { readBody, startHttpServer, type LocalHttpServer } from './http.js';

/** What a custom resource provider answers (the body of the PUT). */
export interface CustomResourceAnswer {
  Status: string;
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: Record<string, unknown>;
}

/** One PUT that reached the server. */
export interface ResponsePut {
  /** The request the URL was issued for. */
  readonly requestId: string;
  /** HTTP status the server answered with. */
  readonly status: number;
  /** Why a PUT was refused (forged signature, injected failure, unreadable body), when it was. */
  readonly refused?: string;
  readonly contentType: string | undefined;
  readonly bytes: number;
  readonly body: string;
  readonly receivedAt: number;
}

/** One issued ResponseURL. */
export interface IssuedUrl {
  readonly requestId: string;
  readonly url: string;
  /** The part of the URL that is a bearer credential: it must never appear in logs or build environments. */
  readonly signature: string;
}

export interface ResponseServer {
  readonly url: string;
  /** A fresh presigned-looking URL for `requestId` (S3 path style, SigV4 query). */
  issue(stackId: string, logicalId: string, requestId: string): IssuedUrl;
  /** Every URL issued so far. */
  issued(): readonly IssuedUrl[];
  /** Every PUT so far, oldest first. */
  puts(): readonly ResponsePut[];
  /** The accepted answers of `requestId`, oldest first. */
  answersFor(requestId: string): CustomResourceAnswer[];
  /** Resolves with the first accepted answer for `requestId`, or rejects after `timeoutMs`. */
  waitForAnswer(requestId: string, timeoutMs: number): Promise<{ answer: CustomResourceAnswer; receivedAt: number }>;
  /** The next `count` PUTs (any request) are answered HTTP 500. */
  failNextPuts(count: number): void;
  stop(): Promise<void>;
}

export class ResponseTimeoutError extends Error {
  override readonly name = 'ResponseTimeoutError';
}

const PATH_PREFIX = '/cloudformation-custom-resource-response-local/';

export async function startResponseServer(): Promise<ResponseServer> {
  const issued = new Map<string, IssuedUrl>();
  const puts: ResponsePut[] = [];
  const waiters = new Map<string, Array<(put: ResponsePut) => void>>();
  let failuresLeft = 0;

  const record = (put: ResponsePut): void => {
    puts.push(put);
    if (put.status !== 200) return;
    for (const wake of waiters.get(put.requestId) ?? []) wake(put);
    waiters.delete(put.requestId);
  };

  const server: LocalHttpServer = await startHttpServer('response server', async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = (await readBody(request)).toString('utf8');
    const key = decodeURIComponent(url.pathname.slice(PATH_PREFIX.length));
    const requestId = key.split('|').at(-1) ?? '';
    const known = issued.get(requestId);
    const base = { requestId, contentType: request.headers['content-type'], bytes: Buffer.byteLength(body), body, receivedAt: Date.now() };
    const refuse = (status: number, why: string): void => {
      record({ ...base, status, refused: why });
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(`<Error><Code>${status === 403 ? 'SignatureDoesNotMatch' : 'InternalError'}</Code><Message>${why}</Message></Error>`);
    };
    if (request.method !== 'PUT' || !url.pathname.startsWith(PATH_PREFIX)) return refuse(405, 'only PUT to an issued URL');
    if (known === undefined || url.searchParams.get('X-Amz-Signature') !== known.signature) return refuse(403, 'unknown URL or wrong signature');
    if (failuresLeft > 0) {
      failuresLeft--;
      return refuse(500, 'injected failure');
    }
    try {
      JSON.parse(body);
    } catch {
      return refuse(400, 'body is not JSON');
    }
    record({ ...base, status: 200 });
    response.writeHead(200, { etag: `"${randomUUID()}"` });
    response.end();
  });

  const accepted = (requestId: string): ResponsePut[] => puts.filter((put) => put.requestId === requestId && put.status === 200);

  return {
    url: server.url,
    issue(stackId, logicalId, requestId) {
      const signature = randomBytes(32).toString('hex');
      const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
      const query = new URLSearchParams({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Date': amzDate,
        'X-Amz-SignedHeaders': 'host',
        'X-Amz-Expires': '7200',
        'X-Amz-Credential': `AKIAEXAMPLE/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`,
        'X-Amz-Signature': signature,
      });
      const path = encodeURIComponent(`${stackId}|${logicalId}|${requestId}`);
      const entry = { requestId, url: `${server.url}${PATH_PREFIX}${path}?${query}`, signature };
      issued.set(requestId, entry);
      return entry;
    },
    issued: () => [...issued.values()],
    puts: () => [...puts],
    answersFor: (requestId) => accepted(requestId).map((put) => JSON.parse(put.body) as CustomResourceAnswer),
    waitForAnswer(requestId, timeoutMs) {
      const done = accepted(requestId)[0];
      if (done !== undefined) return Promise.resolve({ answer: JSON.parse(done.body) as CustomResourceAnswer, receivedAt: done.receivedAt });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.set(
            requestId,
            (waiters.get(requestId) ?? []).filter((wake) => wake !== onPut),
          );
          reject(new ResponseTimeoutError(`no answer for request ${requestId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const onPut = (put: ResponsePut): void => {
          clearTimeout(timer);
          resolve({ answer: JSON.parse(put.body) as CustomResourceAnswer, receivedAt: put.receivedAt });
        };
        waiters.set(requestId, [...(waiters.get(requestId) ?? []), onPut]);
      });
    },
    failNextPuts(count) {
      failuresLeft = count;
    },
    stop: () => server.stop(),
  };
}
