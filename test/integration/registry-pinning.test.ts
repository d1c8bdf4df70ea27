// A connection goes only to the address that was checked. The address guard resolves a registry host once and
// judges every address; the registry client must then connect to exactly those addresses, not look the name up
// again (a DNS server answering a public address to the check and 127.0.0.1 to the connection, "rebinding",
// would otherwise reach loopback). Real TLS over real sockets: a test CA (openssl) signs a certificate for the
// registry's name, and the client trusts only that CA. The "public" address is this machine's own non-loopback
// interface address, so a connection to it and one to 127.0.0.1 reach two different listeners on the same port.
import type { AddressInfo, Socket } from 'node:net';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import { networkInterfaces } from 'node:os';
import { createSecureContext } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/mirror/registry/client.js';
import { createPinnedConnector, type ExchangeRequest } from '../../src/mirror/registry/connect.js';
import { forbiddenAddressReason } from '../../src/mirror/registry/guard.js';
import { parseImageReference } from '../../src/reference/index.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls.js';
import { haveTools, inCi, TOOLS } from '../support/tools.js';
import { AMD64, image } from '../unit/mirror/registry/fake-registry.js';

const NAME = 'rebind.test';
/** This machine's first IPv4 address outside every refused class: the stand-in for a registry's public address. */
const PUBLIC_ADDRESS = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4' && forbiddenAddressReason(entry.address) === undefined)?.address;

interface Listener {
  /** Local address of every TCP connection accepted, in order. */
  readonly connections: string[];
  /** Server name (SNI) of every TLS handshake. */
  readonly serverNames: string[];
}

const servers: Server[] = [];

/** An HTTPS server with the test certificate that records each connection's local address and each server name asked. */
function recordingServer(certificates: TestCertificates, listener: Listener, handle: RequestListener): Server {
  const context = createSecureContext({ key: certificates.key, cert: certificates.cert });
  const server = createServer(
    {
      key: certificates.key,
      cert: certificates.cert,
      SNICallback: (serverName, done) => {
        listener.serverNames.push(serverName);
        done(null, context);
      },
    },
    handle,
  );
  server.on('connection', (socket) => listener.connections.push((socket as Socket).localAddress ?? '?'));
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
});

/**
 * One HTTPS registry serving `quay.io/acme/app:1.0`'s manifest and config, listening on the public address and on
 * 127.0.0.1 at the same port; every answer closes its connection, so each request is a new connection.
 */
async function listenTwice(certificates: TestCertificates): Promise<{ port: number; public: Listener; loopback: Listener; digest: string }> {
  const { manifest, config } = image(AMD64);
  const start = async (host: string, port: number): Promise<{ port: number; listener: Listener }> => {
    const listener: Listener = { connections: [], serverNames: [] };
    const server = recordingServer(certificates, listener, (request, response) => {
      const found = request.url === '/v2/acme/app/manifests/1.0' ? manifest : request.url === `/v2/acme/app/blobs/${config.digest}` ? config : undefined;
      response.setHeader('connection', 'close');
      if (found === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': found.mediaType, 'docker-content-digest': found.digest }).end(found.bytes);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return { port: (server.address() as AddressInfo).port, listener };
  };
  const first = await start(PUBLIC_ADDRESS!, 0);
  const second = await start('127.0.0.1', first.port);
  return { port: first.port, public: first.listener, loopback: second.listener, digest: manifest.digest };
}

describe.skipIf(!haveTools(TOOLS.openssl))('Class: RegistryClient (connections pinned to the checked addresses)', () => {
  let certificates: TestCertificates;
  beforeAll(() => {
    if (inCi) expect(PUBLIC_ADDRESS, 'this test needs a non-loopback IPv4 interface').toBeDefined();
    certificates = makeTestCertificates([NAME, '127.0.0.1']);
  });

  it.runIf(PUBLIC_ADDRESS !== undefined)('a resolver answering a public address first and 127.0.0.1 afterwards: every connection goes to the public address', async () => {
    const registry = await listenTwice(certificates);
    const asked: string[] = [];
    const client = new RegistryClient({
      connector: createPinnedConnector({ ca: certificates.ca }),
      retryDelayMs: 1,
      lookup: async (host) => {
        asked.push(host);
        return asked.length === 1 ? [PUBLIC_ADDRESS!] : ['127.0.0.1'];
      },
    });

    const platform = await client.resolvePlatform(parseImageReference(`${NAME}:${registry.port}/acme/app:1.0`), 'x86_64');

    expect(platform.digest).toBe(registry.digest);
    expect(registry.public.connections.length).toBeGreaterThanOrEqual(2); // manifest and config, each on its own connection
    expect(registry.public.connections.every((address) => address === PUBLIC_ADDRESS)).toBe(true);
    expect(registry.loopback.connections).toEqual([]);
    expect(asked).toEqual([NAME]);
    // TLS was for the name, not the address: SNI carried it and the certificate (for the name only) was accepted.
    // (later connections may resume the TLS session without a new SNI callback).
    expect(registry.public.serverNames[0]).toBe(NAME);
    expect(registry.public.serverNames.every((serverName) => serverName === NAME)).toBe(true);
  });

  it.runIf(PUBLIC_ADDRESS !== undefined)('verifies the certificate against the host name while connecting to the pinned address', async () => {
    const registry = await listenTwice(certificates);
    const client = new RegistryClient({
      connector: createPinnedConnector({ ca: certificates.ca }),
      maxAttempts: 1,
      lookup: async () => [PUBLIC_ADDRESS!],
    });

    const error = await client.getManifest(parseImageReference(`other.test:${registry.port}/acme/app:1.0`)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.message).toContain('TLS certificate problem (ERR_TLS_CERT_ALTNAME_INVALID)');
    expect(registry.public.serverNames).toEqual(['other.test']);
    expect(registry.public.connections).toEqual([PUBLIC_ADDRESS]);
  });

  it('keeps an idle TLS connection for the next request to the same host', async () => {
    const connections: string[] = [];
    const server = createServer({ key: certificates.key, cert: certificates.cert }, (_request, response) => response.end('{}'));
    server.on('secureConnection', (socket) => connections.push(socket.remoteAddress ?? '?'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`https://${NAME}:${(server.address() as AddressInfo).port}/v2/`);
    const connector = createPinnedConnector({ ca: certificates.ca });

    for (let i = 0; i < 2; i++) {
      const response = await connector(url, { method: 'GET', headers: {}, signal: new AbortController().signal }, [{ address: '127.0.0.1', family: 4 }]);
      expect(await response.text()).toBe('{}');
    }

    expect(connections).toHaveLength(1);
  });

  it('a name resolving to loopback is refused before any connection, with the real connector', async () => {
    const asked: string[] = [];
    const loopback = await new Promise<{ server: Server; connections: string[] }>((resolve) => {
      const connections: string[] = [];
      const server = createServer({ key: certificates.key, cert: certificates.cert }, (_request, response) => response.end('{}'));
      server.on('connection', (socket) => connections.push((socket as Socket).localAddress ?? '?'));
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve({ server, connections }));
    });
    const port = (loopback.server.address() as AddressInfo).port;
    const client = new RegistryClient({
      connector: createPinnedConnector({ ca: certificates.ca }),
      lookup: async (host) => {
        asked.push(host);
        return ['127.0.0.1'];
      },
    });

    const error = await client.getManifest(parseImageReference(`${NAME}:${port}/acme/app:1.0`)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.message).toContain(`${NAME} resolves to 127.0.0.1, a loopback address`);
    expect(loopback.connections).toEqual([]);
    expect(asked).toEqual([NAME]);
  });
  /** An HTTPS server on 127.0.0.1 answering `200 ok` on kept-alive connections, recording connections and SNI. */
  async function keepAliveServer(): Promise<{ port: number; listener: Listener }> {
    const listener: Listener = { connections: [], serverNames: [] };
    const server = recordingServer(certificates, listener, (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return { port: (server.address() as AddressInfo).port, listener };
  }
  const get = (): ExchangeRequest => ({ method: 'GET', headers: {}, signal: new AbortController().signal });

  it('a registry at an IP address gets no server name (RFC 6066 allows only host names) and its certificate is checked for that address', async () => {
    const registry = await keepAliveServer();

    const response = await createPinnedConnector({ ca: certificates.ca })(new URL(`https://127.0.0.1:${registry.port}/v2/`), get(), [{ address: '127.0.0.1', family: 4 }]);

    expect([response.status, await response.text()]).toEqual([200, 'ok']);
    expect(registry.listener.serverNames).toEqual([]);
  });

  it('reuses an idle TLS connection for the next request to the same registry', async () => {
    const registry = await keepAliveServer();
    const connector = createPinnedConnector({ ca: certificates.ca });
    const url = new URL(`https://${NAME}:${registry.port}/v2/`);

    for (let i = 0; i < 2; i++) {
      expect(await (await connector(url, get(), [{ address: '127.0.0.1', family: 4 }])).text()).toBe('ok');
      await new Promise((resolve) => setImmediate(resolve)); // one turn of the event loop: the socket goes back to the agent
    }

    expect(registry.listener.connections).toEqual(['127.0.0.1']);
    expect(registry.listener.serverNames).toEqual([NAME]);
  });
});
