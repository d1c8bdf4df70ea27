// What a hostile or broken registry cannot make the client do: read an answer without end (the function has 256 MB),
// follow redirects without end, or blame the registry for a timeout that is the caller's own budget. Real HTTP
// (fake-registry.ts) for bodies and redirects; the budget case runs on a hand-driven clock with a scripted registry.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, Timer } from '../../../../src/mirror/core/budget.js';
import { RegistryClient } from '../../../../src/mirror/registry/client.js';
import { RegistryError, RegistryProtocolError, RegistryUnreachableError } from '../../../../src/mirror/registry/errors.js';
import type { TransportClock } from '../../../../src/mirror/registry/http.js';
import { MAX_MANIFEST_BYTES } from '../../../../src/mirror/registry/media.js';
import { AMD64, clientFor, image, ref, rejection, startServer, stopServers } from './fake-registry.js';

afterEach(stopServers);

/** 64 MiB, sixteen times the manifest limit: far more than socket buffers hold, so reading on would be seen. */
const ENDLESS_BYTES = 16 * MAX_MANIFEST_BYTES;

interface Streamed {
  /** Whether the registry got its whole body out before the connection closed. */
  finished(): Promise<boolean>;
}

/** Writes `total` bytes as a chunked body (no Content-Length), at the pace the client reads them. */
function streamBody(response: ServerResponse, status: number, total: number): Streamed {
  const chunk = Buffer.alloc(64 * 1024, 0x7b);
  const done = new Promise<boolean>((resolve) => {
    response.once('close', () => resolve(response.writableFinished));
  });
  response.writeHead(status, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !response.destroyed) {
      sent += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    if (!response.destroyed) response.end();
  };
  pump();
  return { finished: () => done };
}

describe('Class: RegistryClient (answers stay bounded)', () => {
  it('refuses a manifest streamed without Content-Length once it passes the limit, and stops reading it', async () => {
    let streamed: Streamed | undefined;
    const registry = await startServer((_request, response) => {
      streamed = streamBody(response, 200, ENDLESS_BYTES);
    });

    const error = await rejection(clientFor(registry, { maxAttempts: 1 }).getManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain(`larger than the limit of ${MAX_MANIFEST_BYTES} bytes`);
    expect(await streamed!.finished()).toBe(false);
  });

  it('refuses a manifest whose Content-Length is over the limit without reading it', async () => {
    const registry = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(MAX_MANIFEST_BYTES + 1) });
      response.end(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x7b));
    });

    const error = await rejection(clientFor(registry, { maxAttempts: 1 }).getManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain(`the response is ${MAX_MANIFEST_BYTES + 1} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
  });

  it('cuts an error answer streamed without Content-Length at the limit and stops reading it', async () => {
    let streamed: Streamed | undefined;
    const registry = await startServer((_request, response) => {
      streamed = streamBody(response, 500, ENDLESS_BYTES);
    });

    const error = await rejection(clientFor(registry, { maxAttempts: 1 }).getManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(500);
    expect(await streamed!.finished()).toBe(false);
  });
});

describe('Class: RegistryClient (redirects)', () => {
  /** A registry whose manifest is `hops` redirects away (each to the next path on the same registry). */
  async function redirecting(hops: number) {
    const { manifest } = image(AMD64);
    return startServer((_request, response, url) => {
      const step = url.pathname === '/v2/acme/app/manifests/1.0' ? 0 : Number(/^\/hop\/(\d+)$/.exec(url.pathname)?.[1] ?? Number.NaN);
      if (step < hops) {
        response.writeHead(307, { location: `/hop/${step + 1}` }).end();
        return;
      }
      response.writeHead(200, { 'content-type': manifest.mediaType, 'docker-content-digest': manifest.digest }).end(manifest.bytes);
    });
  }

  it('follows 5 redirects', async () => {
    const registry = await redirecting(5);

    const result = await clientFor(registry, { maxAttempts: 1 }).getManifest(ref('1.0'));

    expect(result.digest).toBe(image(AMD64).manifest.digest);
    expect(registry.requests.map((request) => request.path)).toEqual(['/v2/acme/app/manifests/1.0', '/hop/1', '/hop/2', '/hop/3', '/hop/4', '/hop/5']);
  });

  it('refuses a 6th redirect without following it', async () => {
    const registry = await redirecting(6);

    const error = await rejection(clientFor(registry, { maxAttempts: 1 }).getManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain('more than 5 redirects');
    expect(registry.requests.map((request) => request.path)).not.toContain('/hop/6');
    expect(registry.requests).toHaveLength(6);
  });
});

/**
 * Time moves only when the test says so. At each instant the transport's own timers fire before the caller's deadline
 * aborts the call: the order a loaded machine may pick, and the one that exposes a hop timer racing the deadline.
 */
class HandClock implements TransportClock {
  time = 0;
  private readonly timers: { due: number; controller: AbortController }[] = [];
  now(): number {
    return this.time;
  }
  async sleep(): Promise<void> {
    throw new Error('no retry is expected (maxAttempts 1)');
  }
  timer(ms: number): Timer {
    const entry = { due: this.time + ms, controller: new AbortController() };
    this.timers.push(entry);
    return { signal: entry.controller.signal, cancel: () => this.timers.splice(this.timers.indexOf(entry) >>> 0, 1) };
  }
  /** Moves to `time`: the transport's timers due by then fire, then `deadlines` (the caller's) abort. */
  advanceTo(time: number, deadlines: readonly { due: number; controller: AbortController }[]): void {
    this.time = time;
    for (const entry of this.timers.filter((timer) => timer.due <= time)) entry.controller.abort(new Error('hand clock timer'));
    for (const entry of deadlines.filter((deadline) => deadline.due <= time)) entry.controller.abort(new Error('call deadline'));
  }
}

describe('Class: RegistryClient (whose timeout it was)', () => {
  const HOP_MS = 15_000;

  /** A registry that never answers; `asked` resolves once the request went out. */
  function silentRegistry() {
    let asked: () => void = () => undefined;
    const requested = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const fetch = (() => {
      asked();
      return new Promise<Response>(() => undefined);
    }) as typeof globalThis.fetch;
    return { fetch, requested };
  }

  it.each([
    ['less than a hop may take', 10_000, 'no time left for this request'],
    ['exactly what a hop may take', HOP_MS, 'no time left for this request'],
    ['more than a hop may take', 20_000, `no answer within ${HOP_MS} ms`],
  ])('a registry that does not answer, with %s left in the call, names the earlier of the two limits', async (_label, leftMs, cause) => {
    const clock = new HandClock();
    const deadline = { due: leftMs, controller: new AbortController() };
    const call: CallContext = { signal: deadline.controller.signal, remainingMs: () => deadline.due - clock.now() };
    const registry = silentRegistry();
    const client = new RegistryClient({
      endpoints: new Map([['quay.io', 'http://127.0.0.1:5000']]),
      fetch: registry.fetch,
      clock,
      timeoutMs: HOP_MS,
      maxAttempts: 1,
    });

    const failing = rejection(client.getManifest(ref('1.0'), call));
    await registry.requested;
    clock.advanceTo(Math.min(leftMs, HOP_MS), [deadline]);
    clock.advanceTo(leftMs, [deadline]); // whatever was still waiting, the call's deadline ends it
    const error = await failing;

    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect(error.message).toContain(cause);
  });
});
