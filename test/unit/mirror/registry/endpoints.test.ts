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

describe('Function: parseEndpointMap (what a key and a URL may be)', () => {
  const NOT_A_HOST = 'is not a registry host name (as in an image reference, e.g. "quay.io" or "registry.example.com:5000")';
  const problem = (json: string): string => {
    try {
      parseEndpointMap(json);
    } catch (error) {
      expect(error).toBeInstanceOf(RegistryConfigError);
      return (error as Error).message;
    }
    throw new Error('expected parseEndpointMap to throw');
  };

  it.each(['quay.io:1', 'quay.io:65535', 'a', 'my-registry.example.com:5000', '10.0.0.1:5000', 'a1.b-2.c'])('accepts the key %s', (key) => {
    expect([...parseEndpointMap(JSON.stringify({ [key]: 'https://proxy.example' })).keys()]).toEqual([key]);
  });

  it.each([
    ['', NOT_A_HOST],
    [':5000', NOT_A_HOST],
    ['quay.io.', NOT_A_HOST],
    ['-quay.io', NOT_A_HOST],
    ['quay-.io', NOT_A_HOST],
    ['quay_io', NOT_A_HOST],
    ['quay.io:0', 'has a port that is not a number from 1 to 65535'],
    ['quay.io:65536', 'has a port that is not a number from 1 to 65535'],
    ['quay.io:', 'has a port that is not a number from 1 to 65535'],
    ['quay.io:123456', 'has a port that is not a number from 1 to 65535'],
    ['quay.io:50a', 'has a port that is not a number from 1 to 65535'],
    ['quay.io:1e3', 'has a port that is not a number from 1 to 65535'],
    ['quay.io:0x1f4', 'has a port that is not a number from 1 to 65535'],
  ])('refuses the key %j', (key, reason) => {
    expect(problem(JSON.stringify({ [key]: 'https://proxy.example' }))).toBe(`environment variable REGISTRY_ENDPOINTS: key ${JSON.stringify(key)} ${reason}`);
  });

  it('refuses a host given twice once keys are normalised, naming it', () => {
    expect(problem('{"quay.io": "https://a.example", "QUAY.IO": "https://b.example"}')).toBe(
      'environment variable REGISTRY_ENDPOINTS: registry "QUAY.IO" is given more than once',
    );
  });

  it.each([
    ['a fragment', 'https://proxy.example/#x', 'must not have a query or fragment'],
    ['a user name alone', 'https://user@proxy.example', 'contains user information; registry credentials belong in the credentials secret, not in the URL'],
    ['a password alone', 'https://:pw@proxy.example', 'contains user information; registry credentials belong in the credentials secret, not in the URL'],
    ['a relative URL', '/v2', 'is not an absolute URL'],
  ])('refuses a URL with %s, without echoing it', (_case, url, reason) => {
    const message = problem(JSON.stringify({ 'quay.io': url }));
    expect(message).toBe(`environment variable REGISTRY_ENDPOINTS: the URL for "quay.io" ${reason}`);
  });

  it('names a value that is not a string by its kind, and cuts a long key', () => {
    expect(problem('{"quay.io": ["https://a"]}')).toBe('environment variable REGISTRY_ENDPOINTS: the value for "quay.io" must be a URL string, not object');
    expect(problem('{"quay.io": null}')).toContain('must be a URL string, not null');
    expect(problem('{"quay.io": {"url": "https://a"}}')).toBe('environment variable REGISTRY_ENDPOINTS: the value for "quay.io" must be a URL string, not object');
    expect(problem(JSON.stringify({ [`${'a'.repeat(150)} b`]: 'https://a' }))).toContain(`key ${JSON.stringify('a'.repeat(100))} is not`);
  });

  it('keeps the JSON error as the cause', () => {
    const error = (() => {
      try {
        parseEndpointMap('{');
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.cause).toBeInstanceOf(SyntaxError);
  });

  it('quotes the JSON error and shows an example', () => {
    expect(problem('{')).toMatch(
      /^environment variable REGISTRY_ENDPOINTS is not valid JSON \(.+\); expected an object such as \{"quay.io": "https:\/\/quay-proxy.example.com"\}$/,
    );
    expect(problem('null')).toBe(
      'environment variable REGISTRY_ENDPOINTS must be a JSON object mapping registry hosts to base URLs, such as {"quay.io": "https://quay-proxy.example.com"}',
    );
  });

  it('keeps a path and drops every trailing slash', () => {
    expect([...parseEndpointMap('{"quay.io": "https://proxy.example/base///"}').values()]).toEqual(['https://proxy.example/base']);
  });
});
