// The pinned connector against real HTTP (fake-registry.ts): it answers as fetch did (a coded body decoded, HEAD and
// 204 without a body, headers in order), sends request bodies for uploads, and connects a mapped name to the addresses
// resolved once, however often the name is asked for again.
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../../src/mirror/registry/client.js';
import { createPinnedConnector, openExchange } from '../../../../src/mirror/registry/connect.js';
import { AddressGuard } from '../../../../src/mirror/registry/guard.js';
import { AMD64, clientFor, image, ref, startServer, stopServers } from './fake-registry.js';

afterEach(stopServers);

describe('Function: createPinnedConnector', () => {
  it('decodes a gzip-coded manifest as fetch does, so its digest is the digest of the manifest', async () => {
    const { manifest } = image(AMD64);
    const registry = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': manifest.mediaType, 'content-encoding': 'gzip', 'docker-content-digest': manifest.digest });
      response.end(gzipSync(manifest.bytes));
    });

    const result = await clientFor(registry).getManifest(ref('1.0'));

    expect(result.digest).toBe(manifest.digest);
    expect(Buffer.from(result.bytes).equals(manifest.bytes)).toBe(true);
    expect(registry.requests[0]?.headers['user-agent']).toBe('sysdig-image-fix');
  });

  it('answers HEAD and 204 without a body, with the headers the server sent', async () => {
    const registry = await startServer((request, response) => {
      response.writeHead(request.method === 'HEAD' ? 200 : 204, { 'docker-content-digest': 'sha256:abc', 'x-one': 'a' });
      response.end();
    });
    const url = new URL(`${registry.url}/v2/x/manifests/1`);
    const guard = new AddressGuard({ allowedHosts: new Set(['127.0.0.1']) });
    const connector = createPinnedConnector();
    const signal = new AbortController().signal;

    const head = await openExchange(url, { method: 'HEAD', headers: {}, signal }, guard, connector);
    const empty = await openExchange(url, { method: 'GET', headers: {}, signal }, guard, connector);

    expect([head.status, head.body, head.headers.get('docker-content-digest')]).toEqual([200, null, 'sha256:abc']);
    expect([empty.status, empty.body, empty.headers.get('x-one')]).toEqual([204, null, 'a']);
  });

  it('sends a request body, whole or streamed (uploads)', async () => {
    const received: string[] = [];
    const registry = await startServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(`${request.method} ${Buffer.concat(chunks).toString()}`);
        response.writeHead(201).end();
      });
    });
    const url = new URL(`${registry.url}/v2/x/blobs/uploads/`);
    const guard = new AddressGuard({ allowedHosts: new Set(['127.0.0.1']) });
    const connector = createPinnedConnector();
    const signal = new AbortController().signal;
    async function* parts() {
      yield new TextEncoder().encode('stre');
      yield new TextEncoder().encode('amed');
    }

    const whole = await openExchange(url, { method: 'PUT', headers: { 'content-length': '5' }, signal, body: new TextEncoder().encode('whole') }, guard, connector);
    const streamed = await openExchange(url, { method: 'PATCH', headers: {}, signal, body: parts() }, guard, connector);

    expect([whole.status, streamed.status]).toEqual([201, 201]);
    expect(received).toEqual(['PUT whole', 'PATCH streamed']);
  });

  it('connects a mapped name to the addresses resolved once, however often it is asked for', async () => {
    const { manifest } = image(AMD64);
    const registry = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': manifest.mediaType, connection: 'close' }).end(manifest.bytes);
    });
    const port = new URL(registry.url).port;
    const asked: string[] = [];
    const client = new RegistryClient({
      endpoints: new Map([['quay.io', `http://registry.test:${port}`]]),
      lookup: async (host) => {
        asked.push(host);
        return asked.length === 1 ? ['127.0.0.1'] : ['192.0.2.1'];
      },
    });

    for (let i = 0; i < 3; i++) expect((await client.getManifest(ref('1.0'))).digest).toBe(manifest.digest);

    expect(registry.requests).toHaveLength(3);
    expect(asked).toEqual(['registry.test']);
  });
});
