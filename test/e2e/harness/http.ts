// HTTP plumbing shared by the local AWS emulator, the ResponseURL server and the ECR proxy: loopback servers on
// free ports that close every connection on stop, body reading, and the AWS wire formats for errors.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LOOPBACK } from '../../support/loopback.js';

/** A running loopback HTTP server. */
export interface LocalHttpServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** Closes the listener and every open connection. Safe to call twice. */
  stop(): Promise<void>;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

/** Starts `handler` on a free 127.0.0.1 port (the OS picks it, so no race with other servers). */
export async function startHttpServer(name: string, handler: RequestHandler): Promise<LocalHttpServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    Promise.resolve()
      .then(() => handler(request, response))
      .catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        } else {
          response.destroy();
        }
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${name}: no TCP address`);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${address.port}`,
    host: `${LOOPBACK}:${address.port}`,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An error an AWS API answers with: its code (`__type`), message and HTTP status. */
export class AwsServiceError extends Error {
  override readonly name = 'AwsServiceError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** AWS JSON 1.1 protocol answer (CodeBuild, CloudWatch Logs). */
export function sendAwsJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': payload.length,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(payload);
}

/** AWS JSON 1.1 error: `x-amzn-ErrorType` header and `{__type, message}` body, as the SDK parses them. */
export function sendAwsJsonError(response: ServerResponse, error: AwsServiceError): void {
  const payload = Buffer.from(JSON.stringify({ __type: error.code, message: error.message }), 'utf8');
  response.writeHead(error.status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': payload.length,
    'x-amzn-errortype': error.code,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(payload);
}

/** Lambda REST-JSON error (`x-amzn-ErrorType` header, `{Type, Message}` body). */
export function sendRestJsonError(response: ServerResponse, error: AwsServiceError): void {
  const payload = Buffer.from(JSON.stringify({ Type: 'User', Message: error.message, message: error.message }), 'utf8');
  response.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': payload.length,
    'x-amzn-errortype': error.code,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(payload);
}

/** Epoch seconds with milliseconds, the JSON 1.1 timestamp form SDK v3 deserialises. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
