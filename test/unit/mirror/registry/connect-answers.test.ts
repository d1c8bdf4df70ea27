// The pinned connector's edges against real HTTP (connect.ts, fake-registry.ts): a host with no approved address of
// its own reaches nothing, a status fetch cannot hold is refused in words, headers arrive as sent (and nothing else),
// a coded body is decoded whatever the header's case, idle connections are reused, and a streamed body that fails
// ends the exchange. Also the scripted connector tests use, with the real fetch: redirects are not followed and a
// streamed body is sent.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createPinnedConnector, fetchConnector, openExchange, raceSignal } from '../../../../src/mirror/registry/connect.js';
import { AddressGuard } from '../../../../src/mirror/registry/guard.js';
import { running, startServer, stopServers } from './fake-registry.js';

afterEach(stopServers);

const signal = new AbortController().signal;
const LOOPBACK = [{ address: '127.0.0.1', family: 4 as const }];

/** `registry.test` on the local server's port: the name is never resolved, the connector connects to `addresses`. */
function named(serverUrl: string, path = '/v2/'): URL {
  return new URL(`http://registry.test:${new URL(serverUrl).port}${path}`);
}

describe('Function: createPinnedConnector (edges)', () => {
  it('reaches nothing for a host without an approved address: the name is not found', async () => {
    const server = await startServer((_request, response) => response.end('{}'));

    const error = await createPinnedConnector()(named(server.url), { method: 'GET', headers: {}, signal }, []).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'ENOTFOUND', syscall: 'getaddrinfo', message: 'getaddrinfo ENOTFOUND registry.test' });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a status above 599 in words, and takes 599', async () => {
    let status = 700;
    const server = await startServer((_request, response) => response.writeHead(status).end());
    const connector = createPinnedConnector();

    const error = await connector(named(server.url), { method: 'GET', headers: {}, signal }, LOOPBACK).catch((e: unknown) => e);
    status = 599;
    const answer = await connector(named(server.url), { method: 'GET', headers: {}, signal }, LOOPBACK);

    expect((error as Error).message).toBe('the server answered an invalid HTTP status 700');
    expect(answer.status).toBe(599);
  });

  it('rejects a request it cannot send (a header value with a line break) with the reason', async () => {
    const server = await startServer((_request, response) => response.end('{}'));

    const error = await createPinnedConnector()(named(server.url), { method: 'GET', headers: { 'x-bad': 'a\nb' }, signal }, LOOPBACK).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'ERR_INVALID_CHAR' });
    expect(server.requests).toHaveLength(0);
  });

  it('never hands one connector the idle connection of another: each connects to its own approved address', async () => {
    const hits: string[] = [];
    const listen = (address: string, port: number) =>
      new Promise<number>((resolve) => {
        const server = createServer((_request, response) => {
          hits.push(address);
          response.end('{}');
        });
        running.push(server);
        server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
      });
    const port = await listen('127.0.0.1', 0);
    await listen('127.0.0.2', port);
    const url = new URL(`http://registry.test:${port}/v2/`);

    await (await createPinnedConnector()(url, { method: 'GET', headers: {}, signal }, LOOPBACK)).text();
    await (await createPinnedConnector()(url, { method: 'GET', headers: {}, signal }, [{ address: '127.0.0.2', family: 4 }])).text();

    expect(hits).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  it('hands over the headers as sent, nothing more, and decodes a body coded "GZIP"', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, [
        ['Content-Encoding', ' GZIP '],
        ['X-One', 'a'],
        ['X-One', 'b'],
      ]);
      response.end(gzipSync(Buffer.from('plain text')));
    });

    const response = await createPinnedConnector()(named(server.url), { method: 'GET', headers: {}, signal }, LOOPBACK);

    expect(await response.text()).toBe('plain text');
    expect(response.headers.get('x-one')).toBe('a, b');
    expect([...response.headers.keys()].filter((name) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name))).toEqual(['content-encoding', 'x-one']);
  });

  it('reuses an idle connection for the next request', async () => {
    const server = await startServer((_request, response) => response.end('{}'));
    const connections: unknown[] = [];
    running.at(-1)!.on('connection', (socket) => connections.push(socket));
    const connector = createPinnedConnector();

    for (let i = 0; i < 2; i++) expect(await (await connector(named(server.url), { method: 'GET', headers: {}, signal }, LOOPBACK)).text()).toBe('{}');

    expect(connections).toHaveLength(1);
  });

  it('ends the exchange when a streamed body fails, with its error', async () => {
    const server = await startServer((request, response) => {
      request.resume();
      request.on('end', () => response.end('{}'));
    });
    async function* failing() {
      yield new Uint8Array([1]);
      throw new Error('the source stream broke');
    }

    const error = await createPinnedConnector()(named(server.url, '/v2/x/blobs/uploads/1'), { method: 'PATCH', headers: {}, signal, body: failing() }, LOOPBACK).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
  });
});

describe('Function: fetchConnector (with the real fetch)', () => {
  it('hands back a redirect unfollowed, and sends a streamed body', async () => {
    const server = await startServer((request, response) => {
      if (request.method === 'GET') {
        response.writeHead(307, { location: '/elsewhere' }).end();
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => response.writeHead(202).end(Buffer.concat(chunks)));
    });
    async function* parts() {
      yield new TextEncoder().encode('stre');
      yield new TextEncoder().encode('amed');
    }
    const connector = fetchConnector(globalThis.fetch);

    const redirect = await connector(new URL(`${server.url}/v2/`), { method: 'GET', headers: {}, signal }, []);
    const upload = await connector(new URL(`${server.url}/v2/x/blobs/uploads/1`), { method: 'PATCH', headers: {}, signal, body: parts() }, []);

    expect([redirect.status, redirect.headers.get('location')]).toEqual([307, '/elsewhere']);
    expect([upload.status, await upload.text()]).toEqual([202, 'streamed']);
    expect(server.requests.map((request) => request.path)).toEqual(['/v2/', '/v2/x/blobs/uploads/1']);
  });
});

describe('Function: raceSignal', () => {
  it('rejects at once for a signal already aborted, even when the work is done', async () => {
    const aborted = new AbortController();
    aborted.abort();

    await expect(raceSignal(Promise.resolve(1), aborted.signal, () => new Error('too late'))).rejects.toThrow('too late');
  });

  it('stops listening once the work is settled: a later abort builds no error', async () => {
    const controller = new AbortController();
    let built = 0;
    const onAbort = () => {
      built++;
      return new Error('aborted');
    };

    expect(await raceSignal(Promise.resolve(1), controller.signal, onAbort)).toBe(1);
    await expect(raceSignal(Promise.reject(new Error('failed')), controller.signal, onAbort)).rejects.toThrow('failed');
    controller.abort();

    expect(built).toBe(0);
  });
});

describe('Function: openExchange', () => {
  it("stops waiting for the address check when the signal aborts, with the signal's reason, and connects nowhere", async () => {
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup: () => new Promise<string[]>(() => undefined) });
    const controller = new AbortController();
    const reason = new Error('the hop timed out');
    let connected = 0;

    const exchange = openExchange(new URL('https://registry.test/v2/'), { method: 'GET', headers: {}, signal: controller.signal }, guard, async () => {
      connected++;
      return new Response('{}');
    });
    controller.abort(reason);

    await expect(exchange).rejects.toBe(reason);
    expect(connected).toBe(0);
  });
});
