// Stands in for the presigned S3 URLs CloudFormation hands custom resources as ResponseURL: a node:http server on
// 127.0.0.1. Every PUT is recorded (accepted or not); a URL is only honoured with the signature it was issued with,
// the body must be JSON, and the next N PUTs can be failed on purpose to exercise the sender's retries. The unit
// and integration suites take fresh URLs with `url()`, the e2e deploy driver issues one per request with `issue`.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LOOPBACK } from './loopback.js';

/** The body of an answer (what the mirror function PUTs). */
export interface ResponseBody {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: boolean;
  Data: Record<string, string>;
}

/** One PUT that reached the server. */
export interface ResponsePut {
  readonly method: string;
  /** Path and query as requested. */
  readonly path: string;
  /** The request the URL was issued for. */
  readonly requestId: string;
  /** HTTP status the server answered with. */
  readonly status: number;
  readonly accepted: boolean;
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

export class ResponseTimeoutError extends Error {
  override readonly name = 'ResponseTimeoutError';
}

const PATH_PREFIX = '/cloudformation-custom-resource-response-local/';

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class ResponseServer {
  /** Every PUT so far, oldest first. */
  readonly requests: ResponsePut[] = [];
  private readonly issuedUrls = new Map<string, IssuedUrl>();
  private readonly waiters = new Map<string, Array<(put: ResponsePut) => void>>();
  private readonly sockets = new Set<Socket>();
  private failuresLeft = 0;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:PORT` */
    readonly baseUrl: string,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<ResponseServer> {
    let instance: ResponseServer | undefined;
    const server = createServer((request, response) => {
      instance!.handle(request, response).catch((error: unknown) => {
        if (response.headersSent) response.destroy();
        else response.writeHead(500).end(`response server: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: LOOPBACK, port: 0 }, resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('response server has no port');
    instance = new ResponseServer(server, `http://${LOOPBACK}:${address.port}`);
    return instance;
  }

  /** A fresh presigned-looking URL for `requestId` (S3 path style, SigV4 query). */
  issue(stackId: string, logicalId: string, requestId: string): IssuedUrl {
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
    const entry = { requestId, url: `${this.baseUrl}${PATH_PREFIX}${path}?${query}`, signature };
    this.issuedUrls.set(requestId, entry);
    return entry;
  }

  /** A fresh URL for a request of its own; its signature is the secret that must never be logged. */
  url(): string {
    return this.issue('local-stack', 'local-resource', randomBytes(6).toString('hex')).url;
  }

  /** Every URL issued so far. */
  issued(): readonly IssuedUrl[] {
    return [...this.issuedUrls.values()];
  }

  /** Every PUT so far, oldest first (a copy). */
  puts(): readonly ResponsePut[] {
    return [...this.requests];
  }

  /** The accepted answers for one ResponseURL (or the request id it was issued for), oldest first. */
  answersFor(urlOrRequestId: string): ResponseBody[] {
    return this.attemptsFor(urlOrRequestId)
      .filter((put) => put.accepted)
      .map((put) => JSON.parse(put.body) as ResponseBody);
  }

  /** Every PUT to one ResponseURL (or the request id it was issued for), accepted or not. */
  attemptsFor(urlOrRequestId: string): ResponsePut[] {
    const requestId = [...this.issuedUrls.values()].find((issued) => issued.url === urlOrRequestId)?.requestId ?? urlOrRequestId;
    return this.requests.filter((put) => put.requestId === requestId);
  }

  /** Resolves with the first accepted answer for `requestId`, or rejects after `timeoutMs`. */
  waitForAnswer(requestId: string, timeoutMs: number): Promise<{ answer: ResponseBody; receivedAt: number }> {
    const done = this.attemptsFor(requestId).find((put) => put.accepted);
    if (done !== undefined) return Promise.resolve({ answer: JSON.parse(done.body) as ResponseBody, receivedAt: done.receivedAt });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.set(
          requestId,
          (this.waiters.get(requestId) ?? []).filter((wake) => wake !== onPut),
        );
        reject(new ResponseTimeoutError(`no answer for request ${requestId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onPut = (put: ResponsePut): void => {
        clearTimeout(timer);
        resolve({ answer: JSON.parse(put.body) as ResponseBody, receivedAt: put.receivedAt });
      };
      this.waiters.set(requestId, [...(this.waiters.get(requestId) ?? []), onPut]);
    });
  }

  /** The next `count` PUTs (any request) are answered HTTP 500. */
  failNextPuts(count: number): void {
    this.failuresLeft = count;
  }

  /** Closes the listener and every open connection. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.stopping;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = await readBody(request);
    const key = decodeURIComponent(url.pathname.slice(PATH_PREFIX.length));
    const requestId = key.split('|').at(-1) ?? '';
    const known = this.issuedUrls.get(requestId);
    const base = {
      method: request.method ?? '',
      path: request.url ?? '',
      requestId,
      contentType: request.headers['content-type'],
      bytes: Buffer.byteLength(body),
      body,
      receivedAt: Date.now(),
    };
    const refuse = (status: number, why: string): void => {
      this.record({ ...base, status, accepted: false, refused: why });
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(`<Error><Code>${status === 403 ? 'SignatureDoesNotMatch' : 'InternalError'}</Code><Message>${why}</Message></Error>`);
    };
    if (request.method !== 'PUT' || !url.pathname.startsWith(PATH_PREFIX)) return refuse(405, 'only PUT to an issued URL');
    if (known === undefined || url.searchParams.get('X-Amz-Signature') !== known.signature) return refuse(403, 'unknown URL or wrong signature');
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      return refuse(500, 'injected failure');
    }
    try {
      JSON.parse(body);
    } catch {
      return refuse(400, 'body is not JSON');
    }
    this.record({ ...base, status: 200, accepted: true });
    response.writeHead(200, { etag: `"${randomUUID()}"` });
    response.end();
  }

  private record(put: ResponsePut): void {
    this.requests.push(put);
    if (!put.accepted) return;
    for (const wake of this.waiters.get(put.requestId) ?? []) wake(put);
    this.waiters.delete(put.requestId);
  }
}
