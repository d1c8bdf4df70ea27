// RegistryClient authenticating (anonymous and credentialed Bearer tokens, Basic), against real HTTP (fake-registry.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryError, RegistryUnauthorizedError } from '../../../../src/mirror/registry/errors.js';
import { MediaType } from '../../../support/media-types.js';
import { AMD64, basic, clientFor, fakeRegistry, image, ref, registryErrors, rejection, sendJson, stopServers, tokenService } from './fake-registry.js';

afterEach(stopServers);

describe('Class: RegistryClient', () => {
  describe('Authentication', () => {
    it('gets an anonymous Bearer token for the challenged service and scope, and reuses it', async () => {
      const { manifest } = image(AMD64);
      const tokens = await tokenService({ token: 'anon-token-123', service: 'fake-registry', scope: 'repository:acme/app:pull' });
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        auth: {
          scheme: 'bearer',
          token: 'anon-token-123',
          challenge: `Bearer realm="${tokens.url}/token",service="fake-registry",scope="repository:acme/app:pull"`,
        },
      });
      const client = clientFor(registry);

      expect((await client.getManifest(ref('1.0'))).digest).toBe(manifest.digest);
      expect((await client.headManifest(ref('1.0')))?.digest).toBe(manifest.digest);

      expect(tokens.requests).toHaveLength(1);
      expect(tokens.requests[0]?.headers.authorization).toBeUndefined();
      // First request anonymous and refused, every later one carries the cached token up front.
      expect(registry.requests.map((request) => request.headers.authorization)).toEqual([undefined, 'Bearer anon-token-123', 'Bearer anon-token-123']);
    });

    it('sends credentials to the token service, accepts "access_token", and keeps a quoted scope with commas whole', async () => {
      const { manifest } = image(AMD64);
      const credentials = { username: 'robot', password: 'hunter2-secret' };
      const scope = 'repository:acme/app:pull,push';
      const tokens = await tokenService({ token: 'user-token-456', service: 'quay.io', scope, credentials, field: 'access_token' });
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        auth: {
          scheme: 'bearer',
          token: 'user-token-456',
          challenge: `Bearer realm="${tokens.url}/v2/auth", service="quay.io", scope="${scope}", error="invalid_token"`,
        },
      });
      const asked: string[] = [];

      const result = await clientFor(registry, {
        credentials: async (host) => {
          asked.push(host);
          return credentials;
        },
      }).getManifest(ref('1.0'));

      expect(result.digest).toBe(manifest.digest);
      expect(asked).toEqual(['quay.io']);
      expect(tokens.requests[0]?.query.getAll('scope')).toEqual([scope]);
      expect(tokens.requests[0]?.headers.authorization).toBe(basic('robot', 'hunter2-secret'));
    });

    it('throws RegistryUnauthorizedError when the token service refuses the credentials, without leaking them', async () => {
      const tokens = await tokenService({
        token: 't',
        service: 'quay.io',
        scope: 'repository:acme/app:pull',
        credentials: { username: 'robot', password: 'right-password' },
      });
      const registry = await fakeRegistry({
        tags: {},
        auth: { scheme: 'bearer', token: 't', challenge: `Bearer realm="${tokens.url}/token",service="quay.io",scope="repository:acme/app:pull"` },
      });

      const error = await rejection(clientFor(registry, { credentials: async () => ({ username: 'robot', password: 'wrong-password' }) }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect(error.message).toContain('quay.io/acme/app:1.0');
      expect(error.message).toContain('incorrect username or password');
      expect(error.message).not.toContain('wrong-password');
      expect(error.message).not.toContain(Buffer.from('robot:wrong-password').toString('base64'));
      expect(tokens.requests).toHaveLength(1);
    });

    it('answers a Basic challenge with the credentials of the image host, then sends them up front', async () => {
      const { manifest } = image(AMD64);
      const registry = await fakeRegistry({ tags: { '1.0': manifest }, auth: { scheme: 'basic', username: 'AWS', password: 'ecr-token-xyz' } });
      const asked: string[] = [];
      const client = clientFor(registry, {
        credentials: async (host) => {
          asked.push(host);
          return { username: 'AWS', password: 'ecr-token-xyz' };
        },
      });

      expect((await client.getManifest(ref('1.0'))).digest).toBe(manifest.digest);
      expect(await client.headManifest(ref('1.0'))).toEqual({ digest: manifest.digest, mediaType: MediaType.OciManifest });

      expect(asked).toEqual(['quay.io']);
      expect(registry.requests.map((request) => request.headers.authorization)).toEqual([undefined, basic('AWS', 'ecr-token-xyz'), basic('AWS', 'ecr-token-xyz')]);
    });

    it('throws RegistryUnauthorizedError saying no credentials are configured when a Basic challenge cannot be answered', async () => {
      const registry = await fakeRegistry({ tags: {}, auth: { scheme: 'basic', username: 'u', password: 'p' } });

      const error = await rejection(clientFor(registry, { credentials: async () => undefined }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect((error as RegistryUnauthorizedError).status).toBe(401);
      expect(error.message).toContain('No credentials are configured for quay.io');
      expect(registry.requests).toHaveLength(1);
    });

    it('reports a failing credentials provider as a RegistryError naming the host, keeping the cause', async () => {
      const registry = await fakeRegistry({ tags: {}, auth: { scheme: 'basic', username: 'u', password: 'p' } });
      const failure = new Error('AccessDeniedException: not allowed to read the secret');

      const error = await rejection(
        clientFor(registry, {
          credentials: async () => {
            throw failure;
          },
        }).getManifest(ref('1.0')),
      );

      expect(error).toBeInstanceOf(RegistryError);
      expect(error.message).toContain('could not get credentials for quay.io: AccessDeniedException');
      expect(error.cause).toBe(failure);
    });

    it('throws RegistryUnauthorizedError when the registry rejects the credentials, redacting an echoed secret', async () => {
      const password = 'echoed-password-789';
      const registry = await fakeRegistry({
        intercept: (request, response) => {
          if (request.headers.authorization === undefined) {
            sendJson(response, 401, registryErrors('UNAUTHORIZED', 'authentication required'), { 'www-authenticate': 'Basic realm="r"' });
          } else {
            // A careless registry quoting the request back.
            sendJson(response, 403, registryErrors('DENIED', `denied for header ${request.headers.authorization} (password ${password})`));
          }
          return true;
        },
      });

      const error = await rejection(clientFor(registry, { credentials: async () => ({ username: 'robot', password }) }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect((error as RegistryUnauthorizedError).registryCode).toBe('DENIED');
      expect(error.message).toContain('credentials for quay.io were rejected');
      expect(error.message).not.toContain(password);
      expect(error.message).not.toContain(Buffer.from(`robot:${password}`).toString('base64'));
      expect(error.message).toContain('denied for header');
    });
  });
});
