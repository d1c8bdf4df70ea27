// One HTTP exchange on a connection the address guard approved: the guard resolves the URL's host once and judges
// every address (guard.ts); the request then goes out through node:http(s) with a `lookup` that answers only those
// addresses, so the name is never resolved again and a DNS answer that changes in between (rebinding) cannot move
// the connection. TLS still checks the certificate against the host NAME: the request keeps the URL's host as
// its hostname (SNI and the identity check use it); only the address it connects to is fixed.
// The registry client's transport (http.ts) sends every hop through `openExchange`; anything else that talks to
// a registry (a blob push, say) uses it the same way.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { TransportError } from './errors.js';
import { type AddressGuard, describeRefusal, type ResolvedAddress } from './guard.js';

export interface ExchangeRequest {
  readonly method: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the exchange: before the connection, while waiting for the answer, or while its body is read. */
  readonly signal: AbortSignal;
  /** A request body (uploads); streamed as it comes. */
  readonly body?: Uint8Array | AsyncIterable<Uint8Array>;
}

/**
 * Sends one request to `url` over a connection to one of `addresses` (never a fresh resolution of the host) and
 * resolves with the answer as a fetch Response (redirects are not followed; the body streams).
 */
export type Connector = (url: URL, request: ExchangeRequest, addresses: readonly ResolvedAddress[]) => Promise<Response>;

/** Rejects with `onAbort()` when `signal` aborts first. */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined); // abandoned: its own failure no longer matters
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/**
 * One request to an approved address: the guard's verdict on the host first (TransportError `refused` naming the
 * host, the address and the rule), then the connector. Resolver and connection errors reject as they are.
 */
export async function openExchange(url: URL, request: ExchangeRequest, guard: AddressGuard, connector: Connector): Promise<Response> {
  const approval = await raceSignal(guard.approve(url), request.signal, () => request.signal.reason as Error);
  if ('refusal' in approval) throw new TransportError('refused', url.href, describeRefusal(approval.refusal), 1, { refusal: approval.refusal });
  return connector(url, request, approval.addresses);
}

/** A `lookup` answering only the approved addresses (of the family asked for); ENOTFOUND when there are none. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((entry) => entry.family === options.family) : addresses;
    process.nextTick(() => {
      const first = wanted[0];
      if (first === undefined) {
        const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
        callback(error, ''); // Node reads no address from a failed lookup
      } else if (options.all === true) {
        callback(
          null,
          wanted.map(({ address, family }) => ({ address, family })),
        );
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}

/** A Map, not an object: a coding named after an Object member (`constructor`, say) is no coding. */
const DECODERS: ReadonlyMap<string, () => NodeJS.ReadWriteStream> = new Map([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);
/** Statuses whose response has no body (fetch's null-body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The answer as fetch gives it: headers in order, a coded body decoded (fetch does), a streaming body. */
function toResponse(message: IncomingMessage, method: string): Response {
  const status = message.statusCode ?? 0;
  if (status < 200 || status > 599) {
    message.destroy();
    throw new Error(`the server answered an invalid HTTP status ${status}`);
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) headers.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
  if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
    message.resume();
    return new Response(null, { status, headers });
  }
  const decoder = DECODERS.get((headers.get('content-encoding') ?? '').trim().toLowerCase());
  let body: Readable = message;
  if (decoder !== undefined) {
    const decoded = decoder();
    pipeline(message, decoded).catch(() => undefined); // errors reach the reader through `decoded`
    body = decoded as unknown as Readable;
  }
  // ReadableStream.from reads the Node stream on demand and passes its chunks on as they are; Readable.toWeb copies
  // every chunk, which doubled the garbage (and the time) of streaming a blob from one registry to another.
  return new Response(ReadableStream.from(body as AsyncIterable<Uint8Array>), { status, headers });
}

export interface PinnedConnectorOptions {
  /** Trusted CA certificates instead of Node's bundle (tests with their own CA). */
  readonly ca?: string | Buffer;
}

/** Idle connections are kept (as fetch does) in agents of this connector only, so a reused socket is one of its own. */
export function createPinnedConnector(options: PinnedConnectorOptions = {}): Connector {
  const agents = {
    http: new HttpAgent({ keepAlive: true, timeout: 5_000 }),
    https: new HttpsAgent({ keepAlive: true, timeout: 5_000, ...(options.ca !== undefined ? { ca: options.ca } : {}) }),
  };
  return (url, request, addresses) =>
    new Promise<Response>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const settings: RequestOptions = {
        method: request.method,
        hostname: host,
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: { 'user-agent': 'sysdig-image-fix', ...request.headers },
        agent: secure ? agents.https : agents.http,
        lookup: pinnedLookup(addresses),
        signal: request.signal,
        ...(secure && isIP(host) === 0 ? { servername: host } : {}),
      };
      let outgoing: ReturnType<typeof httpRequest>;
      try {
        outgoing = (secure ? httpsRequest : httpRequest)(settings);
      } catch (error) {
        reject(error); // an invalid header value, say
        return;
      }
      outgoing.on('error', reject); // settles once; later errors reach the body's reader
      // A 101 goes to 'upgrade', never to 'response': without this the exchange would wait for its timer.
      outgoing.once('upgrade', (message: IncomingMessage, socket: { destroy(): void }) => {
        socket.destroy();
        reject(new Error(`the server answered an invalid HTTP status ${message.statusCode}`));
      });
      outgoing.once('response', (message) => {
        try {
          resolve(toResponse(message, request.method));
        } catch (error) {
          reject(error);
        }
      });
      const { body } = request;
      if (body === undefined) outgoing.end();
      else if (body instanceof Uint8Array) outgoing.end(body);
      // A failing source or connection makes pipeline abort the request, whose 'error' rejects above.
      else pipeline(Readable.from(body), outgoing).catch(() => undefined);
    });
}

/** A scripted registry for tests: `fetch` plays the server, nothing connects, the addresses are not used. */
export function fetchConnector(fetchImpl: typeof fetch): Connector {
  return (url, request) => {
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers: request.headers, redirect: 'manual', signal: request.signal };
    // A streamed upload reaches the scripted registry as the stream it is.
    if (request.body !== undefined) Object.assign(init, { body: request.body, ...(request.body instanceof Uint8Array ? {} : { duplex: 'half' }) });
    return fetchImpl(url, init);
  };
}
