// An HTTP proxy in front of moto_server for the ops tests, doing the two things moto 5.2.1 does not do as AWS does:
//   1. Paging. moto answers ECR DescribeRepositories and DescribeImages, ECS ListTaskDefinitions and Lambda
//      ListFunctions with every item in one page and no token, whatever maxResults says (its own docstrings: "maxResults
//      and nextToken not implemented"). The proxy hands the client moto's complete answer in pages of `pageSize` with
//      the token fields AWS uses, so the SDK's paginators really walk several pages. moto ignores the tokens the proxy
//      issues, so requests pass through byte for byte (their SigV4 signature stays valid for moto's IAM check).
//   2. The wire format of a refusal. With IAM checks on (`/moto-api/reset-auth`), moto itself decides that a call is
//      denied by the caller's policy, but writes the refusal in its generic XML even for the JSON protocols (ECR, ECS:
//      JSON 1.1; Lambda: REST-JSON), which the SDK cannot parse. The proxy rewrites such a 403 into the format those
//      services document (AccessDeniedException with moto's message), so the SDK raises what AWS would raise.
//      CloudFormation speaks XML: its refusals pass unchanged.
// Every response is counted per operation (`service:Operation`), so tests can show how many pages were read.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from './loopback.js';

export interface PagingProxy {
  readonly url: string;
  /** Responses served, by `service:Operation` (a paged list counts one per page). */
  readonly served: Map<string, number>;
  stop(): Promise<void>;
}

const TARGET_SERVICES: Readonly<Record<string, string>> = {
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
  AmazonEC2ContainerServiceV20141113: 'ecs',
};

/** JSON 1.1 lists moto answers in one page: the list's key in the answer. */
const JSON_PAGED: Readonly<Record<string, string>> = {
  'ecr:DescribeRepositories': 'repositories',
  'ecr:DescribeImages': 'imageDetails',
  'ecs:ListTaskDefinitions': 'taskDefinitionArns',
};

function operationOf(method: string, path: string, headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix, operation] = target.split('.');
    return `${TARGET_SERVICES[prefix!] ?? prefix}:${operation}`;
  }
  const pathname = path.split('?')[0]!;
  if (pathname.startsWith('/2015-03-31/functions')) {
    if (method === 'GET' && /^\/2015-03-31\/functions\/?$/.test(pathname)) return 'lambda:ListFunctions';
    return method === 'GET' ? 'lambda:GetFunction' : `lambda:${method}`;
  }
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (action !== null) return `${form.get('Version') === '2010-05-15' ? 'cloudformation' : 'query'}:${action}`;
  return `${method} ${pathname}`;
}

const tokenFor = (offset: number) => Buffer.from(`proxy-page:${offset}`).toString('base64');
function offsetOf(token: unknown): number {
  if (typeof token !== 'string') return 0;
  const match = /^proxy-page:([0-9]+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  return match ? Number(match[1]) : 0;
}

/** One page of `items` from `offset`: `size` items, at most the client's own maximum. */
function page<T>(items: readonly T[], offset: number, size: number, asked: unknown): { items: T[]; next?: string } {
  const limit = typeof asked === 'number' && asked > 0 ? Math.min(asked, size) : size;
  const slice = items.slice(offset, offset + limit);
  return { items: slice, ...(offset + limit < items.length ? { next: tokenFor(offset + limit) } : {}) };
}

function pagedBody(operation: string, path: string, requestBody: string, responseBody: string, size: number): string | undefined {
  if (operation === 'lambda:ListFunctions') {
    const query = new URLSearchParams(path.split('?')[1] ?? '');
    const answer = JSON.parse(responseBody) as { Functions?: unknown[]; NextMarker?: string };
    const max = query.get('MaxItems');
    const { items, next } = page(answer.Functions ?? [], offsetOf(query.get('Marker')), size, max === null ? undefined : Number(max));
    return JSON.stringify({ ...answer, Functions: items, ...(next !== undefined ? { NextMarker: next } : {}) });
  }
  const key = JSON_PAGED[operation];
  if (key === undefined) return undefined;
  const input = (requestBody === '' ? {} : JSON.parse(requestBody)) as { nextToken?: string; maxResults?: number };
  const answer = JSON.parse(responseBody) as Record<string, unknown>;
  const { items, next } = page((answer[key] as unknown[] | undefined) ?? [], offsetOf(input.nextToken), size, input.maxResults);
  const { nextToken: _none, ...rest } = answer;
  return JSON.stringify({ ...rest, [key]: items, ...(next !== undefined ? { nextToken: next } : {}) });
}

/** moto's XML refusal of a JSON-protocol call, in that protocol's own format; undefined when nothing to rewrite. */
function refusal(operation: string, status: number, body: string): { status: number; headers: Record<string, string>; body: string } | undefined {
  const service = operation.split(':')[0];
  if (status !== 403 || !body.trimStart().startsWith('<') || !['ecr', 'ecs', 'lambda'].includes(service!)) return undefined;
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? 'Access denied';
  if (code !== 'AccessDenied') return undefined;
  if (service === 'lambda') {
    return { status: 403, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }, body: JSON.stringify({ Message: message }) };
  }
  return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ __type: 'AccessDeniedException', message }) };
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function forward(target: URL, incoming: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // The Host header goes as the client signed it: moto checks the signature against what it receives.
    const outgoing = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      readAll(answer).then((bytes) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: bytes }), reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function startPagingProxy(options: { target: string; pageSize: number }): Promise<PagingProxy> {
  const target = new URL(options.target);
  const served = new Map<string, number>();
  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> => {
    const body = await readAll(incoming);
    const operation = operationOf(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers, body.toString('utf8'));
    const answer = await forward(target, incoming, body);
    served.set(operation, (served.get(operation) ?? 0) + 1);
    const text = answer.body.toString('utf8');
    const rewritten = refusal(operation, answer.status, text);
    const paged = answer.status === 200 ? pagedBody(operation, incoming.url ?? '/', body.toString('utf8'), text, options.pageSize) : undefined;
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
    const out = rewritten?.body ?? paged ?? text;
    outgoing.writeHead(rewritten?.status ?? answer.status, { ...headers, ...(rewritten?.headers ?? {}), 'content-length': Buffer.byteLength(out) });
    outgoing.end(out);
  };
  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`paging proxy: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    served,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
