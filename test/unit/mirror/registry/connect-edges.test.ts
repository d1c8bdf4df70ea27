// The edges of one pinned exchange (connect.ts) over real local sockets: the lookup answers only the approved
// addresses (of the family asked for), a URL without a port goes to the scheme's port at the pinned address, an IPv6
// literal keeps its Host; what a hostile or broken server sends (a status outside 200-599, a coding named after an
// Object member) ends in an error naming it or a body as sent; a request that cannot be sent rejects with its own
// error; idle connections are reused by one connector and never shared between two; an abort ends the wait at once.
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPinnedConnector, type ExchangeRequest, fetchConnector, openExchange, pinnedLookup, raceSignal } from '../../../../src/mirror/registry/connect.js';
import { AddressGuard, type ResolvedAddress } from '../../../../src/mirror/registry/guard.js';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

interface Local {
  readonly port: number;
  /** TCP connections accepted. */
  readonly connections: () => number;
  readonly hosts: (string | undefined)[];
}

/** An HTTP server answering `200 ok` (keep-alive), counting connections and recording Host headers. */
async function httpServer(host = '127.0.0.1'): Promise<Local> {
  let connections = 0;
  const hosts: (string | undefined)[] = [];
  const server: Server = createHttpServer((request, response) => {
    hosts.push((request.headers as IncomingHttpHeaders).host);
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  server.on('connection', () => connections++);
  servers.push({
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, hosts };
}

/** A TCP server answering every connection's first bytes with `answer`, as sent. */
async function rawServer(answer: string): Promise<number> {
  const server = createTcpServer((socket) => socket.once('data', () => socket.end(answer)));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const LOOPBACK: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];
const get = (overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({ method: 'GET', headers: {}, signal: new AbortController().signal, ...overrides });
const failure = (promise: Promise<unknown>): Promise<NodeJS.ErrnoException> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as NodeJS.ErrnoException,
  );
/** One turn of the event loop (not a wait on time): the answered socket goes back to its agent meanwhile. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Function: raceSignal', () => {
  it('an already aborted signal rejects with onAbort() even when the work has its result', async () => {
    const stop = new Error('stopped');
    const controller = new AbortController();
    controller.abort();

    await expect(raceSignal(Promise.resolve('late'), controller.signal, () => stop)).rejects.toBe(stop);
  });

  it('once the work settled, a later abort asks nothing more of onAbort (its listener is gone)', async () => {
    const controller = new AbortController();
    let asked = 0;
    const onAbort = (): Error => {
      asked++;
      return new Error('stopped');
    };

    await expect(raceSignal(Promise.resolve('done'), controller.signal, onAbort)).resolves.toBe('done');
    await expect(raceSignal(Promise.reject(new Error('own failure')), controller.signal, onAbort)).rejects.toThrow('own failure');
    controller.abort();

    expect(asked).toBe(0);
  });
});

describe('Function: openExchange', () => {
  it('an abort while the guard still resolves the host rejects with the signal’s reason, without a connection', async () => {
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup: () => new Promise<string[]>(() => undefined) });
    const controller = new AbortController();
    const reason = new Error('hop timed out');
    let connected = false;
    const pending = openExchange(new URL('https://registry.test/v2/'), get({ signal: controller.signal }), guard, async () => {
      connected = true;
      return new Response(null);
    });

    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    expect(connected).toBe(false);
  });
});

describe('Function: pinnedLookup', () => {
  const MIXED: ResolvedAddress[] = [
    { address: '203.0.113.7', family: 4 },
    { address: '2001:db8::7', family: 6 },
    { address: '203.0.113.8', family: 4 },
  ];
  type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family: number | undefined };
  const ask = (addresses: ResolvedAddress[], hostname: string, options: { family?: number; all?: boolean }): Promise<Answer> =>
    new Promise((resolve) => pinnedLookup(addresses)(hostname, options as never, (error, address, family) => resolve({ error, address, family } as Answer)));

  it('answers only the approved addresses, of the family asked for, whatever the name', async () => {
    expect((await ask(MIXED, 'registry.test', { all: true })).address).toEqual(MIXED);
    expect((await ask(MIXED, 'elsewhere.test', { family: 4, all: true })).address).toEqual([MIXED[0], MIXED[2]]);
    expect((await ask(MIXED, 'registry.test', { family: 6, all: true })).address).toEqual([MIXED[1]]);
    expect(await ask(MIXED, 'registry.test', { family: 6 })).toMatchObject({ error: null, address: '2001:db8::7', family: 6 });
    expect(await ask(MIXED, 'registry.test', {})).toMatchObject({ error: null, address: '203.0.113.7', family: 4 });
  });

  it('no approved address of the family asked for: ENOTFOUND naming the host, as a failed resolution reports it', async () => {
    const { error } = await ask([MIXED[0]!], 'registry.test', { family: 6, all: true });

    expect(error).toBeInstanceOf(Error);
    expect([error?.message, error?.code, error?.syscall]).toEqual(['getaddrinfo ENOTFOUND registry.test', 'ENOTFOUND', 'getaddrinfo']);
  });
});

describe('Function: createPinnedConnector (edges)', () => {
  it('a URL without a port connects to the scheme’s port at the pinned address, never to the name', async () => {
    const pinned: ResolvedAddress[] = [{ address: '127.83.41.7', family: 4 }]; // nothing listens here
    const connector = createPinnedConnector();

    const plain = await failure(connector(new URL('http://registry.test/v2/'), get(), pinned));
    const secure = await failure(connector(new URL('https://registry.test/v2/'), get(), pinned));

    expect([plain.code, (plain as { address?: string }).address, (plain as { port?: number }).port]).toEqual(['ECONNREFUSED', '127.83.41.7', 80]);
    expect([secure.code, (secure as { address?: string }).address, (secure as { port?: number }).port]).toEqual(['ECONNREFUSED', '127.83.41.7', 443]);
  });

  it('an IPv6 literal connects to that address with the Host the URL names', async () => {
    const server = await httpServer('::1');

    const response = await createPinnedConnector()(new URL(`http://[::1]:${server.port}/v2/`), get(), [{ address: '::1', family: 6 }]);

    expect([response.status, await response.text()]).toEqual([200, 'ok']);
    expect(server.hosts).toEqual([`[::1]:${server.port}`]);
  });

  it('a status outside 200-599 is an error naming it; 599 is an answer', async () => {
    const odd = await rawServer('HTTP/1.1 600 Odd\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi');
    const edge = await rawServer('HTTP/1.1 599 Edge\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi');
    const connector = createPinnedConnector();

    await expect(connector(new URL(`http://registry.test:${odd}/v2/`), get(), LOOPBACK)).rejects.toThrow('the server answered an invalid HTTP status 600');
    const answer = await connector(new URL(`http://registry.test:${edge}/v2/`), get(), LOOPBACK);
    expect([answer.status, await answer.text()]).toEqual([599, 'hi']);
  });

  it('a 101 (no upgrade was asked for) is an error naming it, not a wait for the hop timer', async () => {
    const port = await rawServer('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: other\r\n\r\n');

    await expect(createPinnedConnector()(new URL(`http://registry.test:${port}/v2/`), get(), LOOPBACK)).rejects.toThrow('the server answered an invalid HTTP status 101');
  });

  it('the answer carries exactly the headers sent', async () => {
    const port = await rawServer('HTTP/1.1 200 OK\r\nx-one: a\r\nx-two: b\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi');

    const answer = await createPinnedConnector()(new URL(`http://registry.test:${port}/v2/`), get(), LOOPBACK);

    expect([...answer.headers]).toEqual([
      ['connection', 'close'],
      ['content-length', '2'],
      ['x-one', 'a'],
      ['x-two', 'b'],
    ]);
  });

  it('a content coding named after an Object member is not a coding: the body arrives as sent (as fetch does)', async () => {
    const connector = createPinnedConnector();
    for (const coding of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const port = await rawServer(`HTTP/1.1 200 OK\r\ncontent-encoding: ${coding}\r\ncontent-length: 5\r\nconnection: close\r\n\r\nplain`);

      const answer = await connector(new URL(`http://registry.test:${port}/v2/`), get(), LOOPBACK);

      expect(await answer.text(), coding).toBe('plain');
    }
  });

  it('a header value that cannot be sent rejects with the reason, before any connection', async () => {
    const server = await httpServer();

    const error = await failure(createPinnedConnector()(new URL(`http://registry.test:${server.port}/v2/`), get({ headers: { 'x-bad': 'a\nb' } }), LOOPBACK));

    expect(error.code).toBe('ERR_INVALID_CHAR');
    expect(server.connections()).toBe(0);
  });

  it('a streamed body whose source fails ends the exchange with an error, not a wait', async () => {
    const server = await httpServer();
    const broken = new Error('the layer source broke');
    async function* body() {
      yield new TextEncoder().encode('part');
      throw broken;
    }

    // (the source's own failure is what the push reports: push.ts keeps the verifier's failure over this one)
    await expect(createPinnedConnector()(new URL(`http://registry.test:${server.port}/v2/`), get({ method: 'PATCH', body: body() }), LOOPBACK)).rejects.toBeInstanceOf(Error);
  });

  it('reuses an idle connection for the next request, and never shares one with another connector', async () => {
    const server = await httpServer();
    const url = new URL(`http://registry.test:${server.port}/v2/`);
    const [one, other] = [createPinnedConnector(), createPinnedConnector()];

    for (const connector of [one, one, other]) {
      expect(await (await connector(url, get(), LOOPBACK)).text()).toBe('ok');
      await turn();
    }

    expect(server.connections()).toBe(2);
  });
});

describe('Function: fetchConnector', () => {
  it('gives real fetch a request it accepts: a redirect is answered, not followed; a streamed body is sent', async () => {
    let received = '';
    const server = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received += `${request.method} ${Buffer.concat(chunks).toString()};`;
        response.writeHead(302, { location: '/elsewhere' }).end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`);
    async function* body() {
      yield new TextEncoder().encode('streamed');
    }
    const connector = fetchConnector(fetch);

    const redirect = await connector(url, get(), []);
    const upload = await connector(url, get({ method: 'PATCH', body: body() }), []);

    expect([redirect.status, redirect.headers.get('location'), upload.status]).toEqual([302, '/elsewhere', 302]);
    expect(received).toBe('GET ;PATCH streamed;');
  });
});
