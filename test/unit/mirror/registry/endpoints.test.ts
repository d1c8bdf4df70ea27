// Which base URL the client talks to for a registry host (registryBaseUrl), and REGISTRY_ENDPOINTS (parseEndpointMap).
import { describe, expect, it } from 'vitest';
import { RegistryConfigError } from '../../../../src/mirror/registry/errors.js';
import { parseEndpointMap } from '../../../../src/mirror/registry/endpoints.js';
import { DOCKER_HUB_REGISTRY_URL, registryBaseUrl } from '../../../../src/mirror/registry/endpoints.js';

describe('Function: parseEndpointMap', () => {
  it('maps hosts to base URLs, normalising host case, the Docker Hub alias and a trailing slash', () => {
    const map = parseEndpointMap('{"Quay.IO": "http://127.0.0.1:5000/", "index.docker.io": "https://hub-proxy.example.com/v2-proxy"}');

    expect([...map]).toEqual([
      ['quay.io', 'http://127.0.0.1:5000'],
      ['docker.io', 'https://hub-proxy.example.com/v2-proxy'],
    ]);
  });

  it.each([undefined, '', '   '])('returns an empty map for %j', (value) => {
    expect(parseEndpointMap(value).size).toBe(0);
  });

  it.each([
    ['invalid JSON', '{"quay.io": ', /REGISTRY_ENDPOINTS is not valid JSON/],
    ['an array', '["quay.io"]', /REGISTRY_ENDPOINTS must be a JSON object/],
    ['a non-string value', '{"quay.io": 5000}', /value for "quay.io" must be a URL string, not number/],
    ['a relative URL', '{"quay.io": "127.0.0.1:5000"}', /URL for "quay.io" (is not an absolute URL|uses)/],
    ['an unsupported scheme', '{"quay.io": "ftp://proxy"}', /URL for "quay.io" uses "ftp:"/],
    ['a query string', '{"quay.io": "https://proxy/?a=b"}', /must not have a query or fragment/],
    ['a bad host key', '{"quay io": "https://proxy"}', /key "quay io" is not a registry host name/],
    ['a bad port in the key', '{"quay.io:99999": "https://proxy"}', /key "quay.io:99999" has a port/],
  ])('throws RegistryConfigError for %s', (_case, value, message) => {
    expect(() => parseEndpointMap(value)).toThrow(RegistryConfigError);
    expect(() => parseEndpointMap(value)).toThrow(message);
  });

  it('refuses credentials in an endpoint URL without echoing them', () => {
    const error = (() => {
      try {
        parseEndpointMap('{"quay.io": "https://user:s3cret-pass@proxy.example.com"}');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected parseEndpointMap to throw');
    })();

    expect(error).toBeInstanceOf(RegistryConfigError);
    expect(error.message).toContain('contains user information');
    expect(error.message).not.toContain('s3cret-pass');
  });
});

describe('Function: registryBaseUrl', () => {
  it('uses https://<host>, with the port when the host has one', () => {
    expect(registryBaseUrl('quay.io')).toBe('https://quay.io');
    expect(registryBaseUrl('registry.example.com:5000')).toBe('https://registry.example.com:5000');
  });

  it('sends Docker Hub to its registry API host', () => {
    expect(DOCKER_HUB_REGISTRY_URL).toBe('https://registry-1.docker.io');
    expect(registryBaseUrl('docker.io')).toBe('https://registry-1.docker.io');
  });

  it('lets the endpoint map override any host, Docker Hub included', () => {
    const endpoints = new Map([
      ['docker.io', 'http://127.0.0.1:5001'],
      ['quay.io', 'http://127.0.0.1:5002'],
    ]);
    expect(registryBaseUrl('docker.io', endpoints)).toBe('http://127.0.0.1:5001');
    expect(registryBaseUrl('quay.io', endpoints)).toBe('http://127.0.0.1:5002');
    expect(registryBaseUrl('ghcr.io', endpoints)).toBe('https://ghcr.io');
  });
});
