// A refusal by the address guard ends the request. The real handler over createAwsPorts with the real RegistryClient
// (a scripted fetch plays the public registries, a DNS table answers names): a source host that is, or resolves to, a
// loopback, link-local or metadata address, and a public registry that sends the function there (redirect or token
// service), are answered FAILED naming the host, the address and the rule, before any repository or build exists.
// The copy job never gets such a host, whatever went wrong first. Only a host REGISTRY_ENDPOINTS names is exempt.
import { describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/mirror/registry/client.js';
import type { RegistryFactory } from '../../../src/mirror/ports/types.js';
import { MediaType } from '../../support/media-types.js';
import { createEvent } from './fixtures/harness.js';
import { onlyAnswer, useScenario } from './fixtures/scenario.js';
import { ECR_HOST } from './fixtures/world.js';
import { AMD64, image } from './registry/fake-registry.js';

/** Public addresses of the names the registries below use; the test adds hostile ones. */
const PUBLIC_DNS: Readonly<Record<string, string[]>> = { 'quay.io': ['52.0.0.10'], 'cdn.quay.io': ['52.0.0.11'], 'auth.quay.io': ['52.0.0.12'] };

interface Network {
  /** Every URL the function asked for. */
  readonly asked: string[];
  readonly registry: () => RegistryFactory;
}

/**
 * quay.io serves acme/app:1.0 (one linux/amd64 image) unless `answer` answers first. Names resolve through `dns`
 * (then PUBLIC_DNS); any other name does not resolve.
 */
function network(dns: Record<string, string[]> = {}, answer: (url: URL) => Response | undefined = () => undefined): Network {
  const { manifest, config } = image(AMD64);
  const asked: string[] = [];
  const fetch = (async (input: URL | string) => {
    const url = new URL(String(input));
    asked.push(url.href);
    const scripted = answer(url);
    if (scripted !== undefined) return scripted;
    if (url.pathname.endsWith('/manifests/1.0')) return new Response(manifest.bytes, { headers: { 'content-type': MediaType.OciManifest } });
    if (url.pathname.endsWith(`/blobs/${config.digest}`)) return new Response(config.bytes, { headers: { 'content-type': MediaType.OciConfig } });
    return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', { status: 404 });
  }) as typeof globalThis.fetch;
  const lookup = async (host: string): Promise<string[]> => {
    const found = dns[host] ?? PUBLIC_DNS[host];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { asked, registry: () => (options) => new RegistryClient({ ...options, fetch, lookup, retryDelayMs: 1 }) };
}

function redirect(location: string): Response {
  return new Response(null, { status: 307, headers: { location } });
}

describe('Function: handler (address guard refusals end the request)', () => {
  const s = useScenario();

  /** Runs one Create and checks what every refusal has in common: FAILED, nothing created, nothing started. */
  async function refused(properties: Record<string, unknown>, net: Network, env: Record<string, string> = {}) {
    s.reconfigure({ registry: net.registry, env });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, properties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(s.world.repositories.size).toBe(0);
    expect(s.world.builds).toHaveLength(0);
    expect(s.world.operations).not.toContain('CodeBuild.StartBuild');
    expect(s.world.operations).not.toContain('ECR.CreateRepository');
    return answer.Reason;
  }

  it.each([
    ['instance metadata', '169.254.169.254/x/y:1', '169.254.169.254 is a link-local address (instance metadata and other host services)'],
    ['the container credentials endpoint', '169.254.170.2/v2/credentials:1', '169.254.170.2 is a link-local address (instance metadata and other host services)'],
    ['the Lambda Runtime API port on loopback', '127.0.0.1:9001/x/y:1', '127.0.0.1 is a loopback address'],
    ['a loopback name', 'localhost:5000/x/y:1', 'localhost is a loopback name'],
    ['a decimal loopback address', '2130706433:5000/x/y:1', '127.0.0.1 is a loopback address'],
  ])('a source on %s: FAILED naming the host, the address and the rule; the registry is never asked', async (_label, source, words) => {
    const net = network();
    const reason = await refused({ SourceImage: source, Architecture: 'x86_64' }, net);
    expect(reason).toContain(`Cannot mirror ${source}: its registry host ${words}`);
    expect(reason).toContain('Use a routable name or address of the registry');
    expect(net.asked).toEqual([]);
  });

  it('a source whose name resolves to loopback (among public addresses): FAILED naming the name, the address and the rule', async () => {
    const net = network({ 'registry.evil.example': ['203.0.113.9', '127.0.0.1'] });
    const reason = await refused({ SourceImage: 'registry.evil.example/x/y:1', Architecture: 'arm64' }, net);
    expect(reason).toContain('its registry host registry.evil.example resolves to 127.0.0.1, a loopback address');
    expect(net.asked).toEqual([]);
  });

  it.each([
    ['one platform', { Architecture: 'x86_64' }],
    ['all platforms', { Platforms: 'all' }],
  ])('a public registry redirecting to 169.254.169.254 (%s): FAILED naming the redirect, the address and the rule', async (_label, extra) => {
    const net = network({}, (url) => (url.hostname === 'quay.io' ? redirect('https://169.254.169.254/latest/meta-data/iam/security-credentials/') : undefined));
    const reason = await refused({ SourceImage: 'quay.io/acme/app:1.0', ...extra }, net);
    expect(reason).toContain(
      'Cannot mirror quay.io/acme/app:1.0: quay.io sent the mirror function to https://169.254.169.254/latest/meta-data/iam/security-credentials/, which it never contacts: 169.254.169.254 is a link-local address',
    );
    expect(net.asked).toEqual(['https://quay.io/v2/acme/app/manifests/1.0']);
  });

  it('a public registry naming a token service that resolves to instance metadata: FAILED naming it', async () => {
    const challenge = new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', {
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="https://token.evil.example/token",service="quay.io"' },
    });
    const net = network({ 'token.evil.example': ['169.254.169.254'] }, (url) => (url.hostname === 'quay.io' ? challenge.clone() : undefined));
    const reason = await refused({ SourceImage: 'quay.io/acme/app:1.0', Architecture: 'x86_64' }, net);
    expect(reason).toContain('quay.io named the token service https://token.evil.example, which the mirror function never contacts');
    expect(reason).toContain('token.evil.example resolves to 169.254.169.254, a link-local address');
  });

  it('a public registry redirecting a blob to a name that resolves to loopback: FAILED', async () => {
    const net = network({ 'cdn.evil.example': ['::ffff:127.0.0.1'] }, (url) =>
      url.hostname === 'quay.io' && url.pathname.includes('/blobs/') ? redirect('https://cdn.evil.example/blob') : undefined,
    );
    const reason = await refused({ SourceImage: 'quay.io/acme/app:1.0', Architecture: 'x86_64' }, net);
    expect(reason).toContain('cdn.evil.example resolves to ::ffff:127.0.0.1, a loopback address');
  });

  it('an in-region ECR source whose host resolves to instance metadata: FAILED, not answered as it is', async () => {
    const net = network({ [ECR_HOST]: ['169.254.169.254'] });
    const reason = await refused({ SourceImage: `${ECR_HOST}/apps/worker:2.1`, Architecture: 'x86_64' }, net);
    expect(reason).toContain(`the mirror function never contacts ${ECR_HOST}`);
    expect(reason).toContain(`${ECR_HOST} resolves to 169.254.169.254, a link-local address`);
  });

  it('a registry the function cannot reach, on a host the copy job would refuse: FAILED, not left to the build', async () => {
    // The function reads through a mapped endpoint that refuses connections (which used to hand the source to the
    // build); the copy job would connect to the source's own host, which resolves to instance metadata.
    const net = network({ 'mirror.evil.example': ['169.254.169.254'] }, () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
    const reason = await refused({ SourceImage: 'mirror.evil.example/x/y:1', Architecture: 'x86_64' }, net, {
      REGISTRY_ENDPOINTS: JSON.stringify({ 'mirror.evil.example': 'http://10.0.0.5:5000' }),
    });
    expect(reason).toContain('its registry host mirror.evil.example resolves to 169.254.169.254, a link-local address');
  });

  it('a source host REGISTRY_ENDPOINTS maps is still judged as the copy job reads it: its own host, unmapped', async () => {
    const net = network();
    const reason = await refused({ SourceImage: '127.0.0.1:5000/x/y:1', Architecture: 'x86_64' }, net, {
      REGISTRY_ENDPOINTS: JSON.stringify({ '127.0.0.1:5000': 'http://127.0.0.1:5000' }),
    });
    expect(reason).toContain('its registry host 127.0.0.1 is a loopback address');
    expect(reason).toContain('REGISTRY_ENDPOINTS changes where the function reads, not where the copy job does');
  });

  it('an endpoint REGISTRY_ENDPOINTS maps to loopback stays exempt: the function reads there and the build copies', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const net = network();
    s.reconfigure({ registry: net.registry, env: { REGISTRY_ENDPOINTS: JSON.stringify({ 'quay.io': 'http://127.0.0.1:5000' }) } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'quay.io/acme/app:1.0', Architecture: 'x86_64' }));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(net.asked[0]).toBe('http://127.0.0.1:5000/v2/acme/app/manifests/1.0');
    expect(s.world.builds).toHaveLength(1);
  });

  it('a source host whose DNS never answers is left to the copy job, which checks it again itself', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const silentDns: RegistryFactory = (options) =>
      new RegistryClient({ ...options, fetch: async () => new Response(null, { status: 500 }), lookup: () => new Promise<string[]>(() => undefined) });
    s.reconfigure({ registry: () => silentDns });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'slow-dns.example/x/y:1', Architecture: 'x86_64' }));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.world.builds).toHaveLength(1);
    expect(s.harness.logText()).toContain('could not resolve the source registry host in time; the copy job checks it again');
  });

  it('a public source whose name does not resolve here is left to the build (it reaches nothing)', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const net = network();
    s.reconfigure({ registry: net.registry });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'registry.unknown.example/x/y:1', Architecture: 'x86_64' }));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.world.builds).toHaveLength(1);
  });
});
