// RegistryClient's transport: retries, timeouts, redirects and failures, against real HTTP (fake-registry.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestNotFoundError, RegistryError, RegistryRateLimitedError, RegistryUnreachableError } from '../../../../src/mirror/registry/errors.js';
import { RegistryClient } from '../../../../src/mirror/registry/client.js';
import { AMD64, clientFor, closedPort, fakeRegistry, image, ref, registryErrors, rejection, sendJson, startServer, stopServers } from './fake-registry.js';

afterEach(stopServers);

describe('Class: RegistryClient', () => {
  describe('Retries and failures', () => {
    it('retries a 500 and returns the manifest that follows', async () => {
      const { manifest } = image(AMD64);
      let failures = 1;
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        intercept: (_request, response) => {
          if (failures-- <= 0) return false;
          sendJson(response, 500, registryErrors('UNKNOWN', 'database is down'));
          return true;
        },
      });

      const result = await clientFor(registry).getManifest(ref('1.0'));

      expect(result.digest).toBe(manifest.digest);
      expect(registry.requests).toHaveLength(2);
    });

    it('gives up after maxAttempts answers of 503 with a RegistryError carrying the status', async () => {
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          sendJson(response, 503, registryErrors('UNAVAILABLE', 'service unavailable'));
          return true;
        },
      });

      const error = await rejection(clientFor(registry, { maxAttempts: 3 }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryError);
      expect(error).not.toBeInstanceOf(ManifestNotFoundError);
      expect((error as RegistryError).status).toBe(503);
      expect(error.message).toContain('after 3 attempts');
      expect(registry.requests).toHaveLength(3);
    });

    it('throws RegistryRateLimitedError with Retry-After when the registry asks for a long wait, without retrying', async () => {
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          sendJson(response, 429, registryErrors('TOOMANYREQUESTS', 'You have reached your pull rate limit'), { 'retry-after': '120' });
          return true;
        },
      });

      const error = await rejection(clientFor(registry).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryRateLimitedError);
      expect((error as RegistryRateLimitedError).retryAfterSeconds).toBe(120);
      expect(error.message).toContain('You have reached your pull rate limit');
      expect(error.message).toContain('120 s');
      expect(registry.requests).toHaveLength(1);
    });

    it('waits out a short Retry-After and succeeds', async () => {
      const { manifest } = image(AMD64);
      let limited = true;
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        intercept: (_request, response) => {
          if (!limited) return false;
          limited = false;
          sendJson(response, 429, registryErrors('TOOMANYREQUESTS', 'slow down'), { 'retry-after': '0' });
          return true;
        },
      });

      expect((await clientFor(registry).getManifest(ref('1.0'))).digest).toBe(manifest.digest);
      expect(registry.requests).toHaveLength(2);
    });

    it('throws RegistryUnreachableError on a timeout when the server never answers, after retrying', async () => {
      const registry = await startServer(() => {
        /* accepts the request and never answers */
      });

      const error = await rejection(clientFor(registry, { timeoutMs: 150, maxAttempts: 2 }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect(error.message).toContain('no answer within 150 ms');
      expect(error.message).toContain(registry.url);
      expect(registry.requests).toHaveLength(2);
    });

    it('throws RegistryUnreachableError naming the registry when the connection is refused', async () => {
      const port = await closedPort();
      const client = new RegistryClient({ endpoints: new Map([['quay.io', `http://127.0.0.1:${port}`]]), retryDelayMs: 1 });

      const error = await rejection(client.getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect(error.message).toContain('quay.io/acme/app:1.0');
      expect(error.message).toContain('connection refused (ECONNREFUSED)');
      expect((error as RegistryUnreachableError).url).toContain(`127.0.0.1:${port}`);
    });
  });
});
