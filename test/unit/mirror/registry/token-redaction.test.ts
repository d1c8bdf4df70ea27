// A Bearer token authorises pulls for as long as it lives; it must never leave the client in an error's words (which
// become the FAILED Reason CloudFormation shows and the function's log). Registries do quote requests back: here one
// hands out a token and then answers every request that carries it with an error quoting the Authorization header.
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../../src/mirror/registry/errors.js';
import { clientFor, ref, registryErrors, rejection, sendJson, startServer, stopServers, tokenService } from './fake-registry.js';

afterEach(stopServers);

/** Every error text a user could see: the message, the registry's own words, and each cause's message. */
function visibleText(error: Error): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    parts.push(current.message, String((current as RegistryError).registryMessage ?? ''), String((current as RegistryError).registryCode ?? ''));
  }
  return parts.join('\n');
}

const ECHOES = [
  ['403 DENIED', 403, 'DENIED'],
  ['404 MANIFEST_UNKNOWN', 404, 'MANIFEST_UNKNOWN'],
  ['400 MANIFEST_INVALID', 400, 'MANIFEST_INVALID'],
  ['500 (retried, then reported)', 500, 'UNKNOWN'],
] as const;

describe('Class: RegistryClient (a Bearer token never appears in its errors)', () => {
  it.each(ECHOES)('a registry answering %s with the request quoted back', async (_case, status, code) => {
    for (const field of ['token', 'access_token'] as const) {
      for (const credentials of [undefined, { username: 'robot', password: 'robot-password-1' }]) {
        const token = `tok-${field}-${credentials === undefined ? 'anon' : 'user'}-8c1f0e77a2`;
        const tokens = await tokenService({ token, service: 'quay.io', scope: 'repository:acme/app:pull', field, ...(credentials ? { credentials } : {}) });
        const registry = await startServer((request, response) => {
          const authorization = request.headers.authorization;
          if (authorization !== `Bearer ${token}`) {
            sendJson(response, 401, registryErrors('UNAUTHORIZED', 'authentication required'), {
              'www-authenticate': `Bearer realm="${tokens.url}/token",service="quay.io",scope="repository:acme/app:pull"`,
            });
            return;
          }
          sendJson(response, status, registryErrors(code, `request with "Authorization: ${authorization}" failed (token ${token})`));
        });

        const client = clientFor(registry, credentials ? { credentials: async () => credentials } : {});
        const error = await rejection(client.getManifest(ref('1.0')));

        // The token was really used: the registry saw it, so the error is about the request that carried it.
        expect(registry.requests.some((request) => request.headers.authorization === `Bearer ${token}`)).toBe(true);
        expect(error).toBeInstanceOf(RegistryError);
        expect(visibleText(error)).toContain('failed (token ');
        expect(visibleText(error)).not.toContain(token);
        if (credentials !== undefined) expect(visibleText(error)).not.toContain(credentials.password);
        await stopServers();
      }
    }
  });
});
