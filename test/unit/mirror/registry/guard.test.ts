// A hostile registry names URLs of its own choosing: the Bearer realm and redirects. The registry client must
// never be steered to the Lambda Runtime API (127.0.0.1:9001 in Lambda, serving this function's own events), to
// instance metadata (169.254.169.254, fd00:ec2::254), to anything else on loopback or link-local (also by a DNS
// name resolving there), nor from an HTTPS registry to plain HTTP. Only hosts that REGISTRY_ENDPOINTS names
// are exempt. The registry is HTTPS here (quay.io, not mapped), so a scripted fetch plays it: every URL the
// client asks for is recorded, and the ones it must refuse are never asked for.
import { describe, expect, it } from 'vitest';
import { RegistryClient, type RegistryClientOptions } from '../../../../src/mirror/registry/client.js';
import { RegistryProtocolError } from '../../../../src/mirror/registry/errors.js';
import { forbiddenAddressReason } from '../../../../src/mirror/registry/guard.js';
import { parseImageReference } from '../../../../src/reference/index.js';

const RUNTIME_API = '127.0.0.1:9001';
/** Public addresses for the names the scripts use; anything else resolves where the test says. */
const DNS: Record<string, string[]> = {
  'quay.io': ['52.0.0.10'],
  'cdn.quay.io': ['52.0.0.11'],
  'auth.quay.io': ['52.0.0.12'],
  'metadata.evil.example': ['169.254.169.254'],
  'runtime.evil.example': ['203.0.113.9', '127.0.0.1'],
  'v6meta.evil.example': ['fd00:ec2::254'],
  'mapped.evil.example': ['::ffff:169.254.169.254'],
  'compat.evil.example': ['2600:1f18::1', '::169.254.169.254'],
  'nat64.evil.example': ['64:ff9b::7f00:1'],
};

type Script = (url: URL) => Response;

function client(script: Script, options: Partial<RegistryClientOptions> = {}) {
  const asked: string[] = [];
  const fetch = (async (input: URL | string) => {
    const url = new URL(String(input));
    asked.push(url.href);
    return script(url);
  }) as typeof globalThis.fetch;
  const registry = new RegistryClient({
    fetch,
    retryDelayMs: 1,
    runtimeApi: RUNTIME_API,
    lookup: async (host) => DNS[host] ?? [],
    ...options,
  });
  return { registry, asked };
}

function challenge(realm: string): Response {
  return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
    status: 401,
    headers: { 'www-authenticate': `Bearer realm="${realm}",service="quay.io",scope="repository:acme/app:pull"`, 'content-type': 'application/json' },
  });
}

function redirect(location: string): Response {
  return new Response(null, { status: 307, headers: { location } });
}

const REF = parseImageReference('quay.io/acme/app:1.0');

async function refusal(promise: Promise<unknown>): Promise<RegistryProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryProtocolError);
  return error as RegistryProtocolError;
}

describe('Class: RegistryClient (hostile registries)', () => {
  it('never fetches a plain-HTTP token realm named by an HTTPS registry (the Lambda Runtime API)', async () => {
    const { registry, asked } = client((url) => (url.hostname === 'quay.io' ? challenge(`http://${RUNTIME_API}/2018-06-01/runtime/invocation/next`) : new Response('{}')));
    const error = await refusal(registry.getManifest(REF));
    expect(asked).toEqual(['https://quay.io/v2/acme/app/manifests/1.0']);
    expect(error.message).toContain('quay.io');
    expect(error.message).toContain('plain-HTTP token service (http://127.0.0.1:9001)');
  });

  it.each([
    ['the Runtime API over HTTPS', `https://${RUNTIME_API}/2018-06-01/runtime/invocation/next`, '127.0.0.1 is the Lambda Runtime API address'],
    ['a loopback name', 'https://localhost/token', 'localhost is a loopback name'],
    ['a name resolving to instance metadata', 'https://metadata.evil.example/token', 'metadata.evil.example resolves to 169.254.169.254, a link-local address'],
    ['a name with one loopback address among others', 'https://runtime.evil.example/token', 'runtime.evil.example resolves to 127.0.0.1'],
    ['IPv6 instance metadata', 'https://[fd00:ec2::254]/token', 'fd00:ec2::254 is the instance metadata address'],
  ])('never fetches a token realm at %s', async (_label, realm, reason) => {
    const { registry, asked } = client((url) => (url.hostname === 'quay.io' ? challenge(realm) : new Response('{"token":"t"}')));
    const error = await refusal(registry.getManifest(REF));
    expect(asked).toEqual(['https://quay.io/v2/acme/app/manifests/1.0']);
    expect(error.message).toContain('quay.io named the token service');
    expect(error.message).toContain(reason);
    expect(error.message).toContain('REGISTRY_ENDPOINTS');
  });

  it.each([
    ['instance metadata', 'https://169.254.169.254/latest/meta-data/iam/security-credentials/', '169.254.169.254 is a link-local address'],
    ['a name resolving to IPv6 metadata', 'https://v6meta.evil.example/x', 'resolves to fd00:ec2::254'],
    ['an IPv4-mapped link-local address', 'https://mapped.evil.example/x', 'resolves to ::ffff:169.254.169.254, a link-local address'],
    ['IPv6 link-local', 'https://[fe80::1]/x', 'fe80::1 is a link-local address'],
    ['an IPv4-compatible loopback address', 'https://[::127.0.0.1]/x', '::7f00:1 is a loopback address'],
    ['an IPv4-compatible link-local address', 'https://[::169.254.170.2]/x', '::a9fe:aa02 is a link-local address (instance metadata'],
    ['a name resolving to an IPv4-compatible metadata address', 'https://compat.evil.example/x', 'resolves to ::169.254.169.254, a link-local address'],
    ['a name resolving to loopback through NAT64', 'https://nat64.evil.example/x', 'resolves to 64:ff9b::7f00:1, a loopback address'],
    ['plain HTTP', 'http://cdn.quay.io/blob', 'redirect from HTTPS to plain HTTP'],
    ['a location that is not a URL (the registry misbehaves; no TypeError)', 'https://[cdn.quay.io/blob', 'redirect to a location that is not a URL'],
  ])('never follows a redirect to %s', async (_label, location, reason) => {
    const { registry, asked } = client((url) => (url.hostname === 'quay.io' ? redirect(location) : new Response('{}')));
    const error = await refusal(registry.getManifest(REF));
    expect(asked).toEqual(['https://quay.io/v2/acme/app/manifests/1.0']);
    expect(error.message).toContain('quay.io');
    expect(error.message).toContain(reason);
  });

  it('follows a redirect to a public host and fetches a public HTTPS realm', async () => {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] });
    const { registry, asked } = client((url) => {
      if (url.hostname === 'auth.quay.io') return new Response('{"token":"tok-123456"}', { headers: { 'content-type': 'application/json' } });
      if (url.pathname === '/v2/acme/app/manifests/1.0') {
        return url.hostname === 'quay.io' ? redirect('https://cdn.quay.io/v2/acme/app/manifests/1.0') : challenge('https://auth.quay.io/token');
      }
      return new Response(manifest, { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    });
    await registry.getManifest(REF).catch(() => undefined);
    expect(asked).toContain('https://cdn.quay.io/v2/acme/app/manifests/1.0');
    expect(asked.some((url) => url.startsWith('https://auth.quay.io/token'))).toBe(true);
  });

  it('lets an operator map a local host explicitly (tests, internal proxies): it may point at itself', async () => {
    const { registry, asked } = client(
      (url) =>
        url.pathname.startsWith('/token')
          ? new Response('{"token":"tok-123456"}')
          : url.search === '' && asked.length === 1
            ? challenge('http://127.0.0.1:5001/token')
            : new Response('{}', { status: 404 }),
      { endpoints: new Map([['quay.io', 'http://127.0.0.1:5000']]) },
    );
    await registry.getManifest(REF).catch(() => undefined);
    expect(asked.some((url) => url.startsWith('http://127.0.0.1:5001/token'))).toBe(true);
  });
});

describe('Function: forbiddenAddressReason', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.9.9.9', 'a loopback address'],
    ['0.0.0.0', 'an unspecified ("this host") address'],
    ['169.254.169.254', 'a link-local address (instance metadata and other host services)'],
    ['169.254.170.2', 'a link-local address (instance metadata and other host services)'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified ("this host") address'],
    ['fe80::1', 'a link-local address'],
    ['febf:ffff::1', 'a link-local address'],
    ['fd00:ec2::254', 'the instance metadata address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'a link-local address (instance metadata and other host services)'],
    ['::127.0.0.1', 'a loopback address'],
    ['::7f00:1', 'a loopback address'],
    ['::169.254.169.254', 'a link-local address (instance metadata and other host services)'],
    ['::a9fe:aa02', 'a link-local address (instance metadata and other host services)'],
    ['::0.0.0.1', 'a loopback address'],
    ['64:ff9b::169.254.169.254', 'a link-local address (instance metadata and other host services)'],
    ['64:ff9b::7f00:1', 'a loopback address'],
    ['[::ffff:127.0.0.1]', 'a loopback address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['FE80::ABCD', 'a link-local address'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each([
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '52.0.0.1',
    '169.253.0.1',
    'fec0::1',
    'fd00:ec2::253',
    '2600:1f18::1',
    '::ffff:52.0.0.1',
    '::52.0.0.1',
    '64:ff9b::52.0.0.1',
    '64:ff9b:1::7f00:1',
  ])('allows %s (private networks are where internal registries live)', (address) => {
    expect(forbiddenAddressReason(address)).toBeUndefined();
  });

  it('refuses the Runtime API address wherever it lives', () => {
    expect(forbiddenAddressReason('10.1.2.3', '10.1.2.3')).toBe('the Lambda Runtime API address');
  });

  it('compares with the Runtime API address without brackets, zone or case: an IPv6 one is refused in any spelling', () => {
    for (const address of ['fd00::9', 'FD00::9', '[fd00::9]', 'fd00::9%eth0']) {
      for (const runtimeApi of ['fd00::9', '[FD00::9]'])
        expect(forbiddenAddressReason(address, runtimeApi), `${address} vs ${runtimeApi}`).toBe('the Lambda Runtime API address');
    }
    expect(forbiddenAddressReason('fd00::8', 'fd00::9')).toBeUndefined();
  });
});
