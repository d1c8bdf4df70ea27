// The address guard as its callers use it (guard.ts): the verdict on a URL's host (the addresses a connection may use,
// or the refusal naming host, address and rule), the hosts an operator mapped, the Runtime API however it is written,
// one resolution per name (a failed one is not kept), and the copy job's source rules.
import { describe, expect, it } from 'vitest';
import { AddressGuard, describeRefusal, endpointHosts, type HostLookup, systemLookup, urlHost } from '../../../../src/mirror/registry/guard.js';

function lookupOf(answers: Record<string, string[]>): HostLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (host: string) => {
    asked.push(host);
    const found = answers[host];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return Object.assign(lookup, { asked });
}

const approve = (guard: AddressGuard, url: string) => guard.approve(new URL(url));

describe('Class: AddressGuard', () => {
  it('approves a public name with every address it resolves to, of both families, leaving out what is not an address', async () => {
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup: lookupOf({ 'quay.io': ['52.0.0.1', '2600:1f18::1', 'garbage'] }) });

    expect(await approve(guard, 'https://quay.io/v2/')).toEqual({
      addresses: [
        { address: '52.0.0.1', family: 4 },
        { address: '2600:1f18::1', family: 6 },
      ],
    });
  });

  it('approves an address as it is, without resolving it', async () => {
    const lookup = lookupOf({});
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup });

    expect(await approve(guard, 'https://[2600:1f18::1]:5000/v2/')).toEqual({ addresses: [{ address: '2600:1f18::1', family: 6 }] });
    expect(await approve(guard, 'https://10.0.0.5/v2/')).toEqual({ addresses: [{ address: '10.0.0.5', family: 4 }] });
    expect(lookup.asked).toEqual([]);
  });

  it('refuses loopback names before resolving them', async () => {
    const lookup = lookupOf({ localhost: ['203.0.113.1'], 'x.localhost': ['203.0.113.1'], 'localhost.example': ['203.0.113.1'] });
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup });

    expect(await approve(guard, 'http://LOCALHOST:9001/')).toEqual({ refusal: { host: 'localhost', address: 'localhost', rule: 'a loopback name' } });
    expect(await approve(guard, 'http://x.localhost/')).toEqual({ refusal: { host: 'x.localhost', address: 'x.localhost', rule: 'a loopback name' } });
    expect(await approve(guard, 'http://localhost.example/')).toEqual({ addresses: [{ address: '203.0.113.1', family: 4 }] });
    expect(lookup.asked).toEqual(['localhost.example']);
  });

  it('refuses a name when any of its addresses is refused, naming that address', async () => {
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup: lookupOf({ 'evil.example': ['203.0.113.9', '169.254.169.254'] }) });

    const verdict = await approve(guard, 'https://evil.example/token');

    expect(verdict).toEqual({
      refusal: { host: 'evil.example', address: '169.254.169.254', rule: 'a link-local address (instance metadata and other host services)' },
    });
    expect(describeRefusal((verdict as { refusal: Parameters<typeof describeRefusal>[0] }).refusal)).toBe(
      'evil.example resolves to 169.254.169.254, a link-local address (instance metadata and other host services)',
    );
    expect(describeRefusal({ host: '127.0.0.1', address: '127.0.0.1', rule: 'a loopback address' })).toBe('127.0.0.1 is a loopback address');
  });

  it('lets through whatever a mapped host is or resolves to, and only that host', async () => {
    const lookup = lookupOf({ 'registry.internal': ['127.0.0.1'], 'other.internal': ['127.0.0.1'] });
    const guard = new AddressGuard({ allowedHosts: endpointHosts(new Map([['quay.io', 'http://Registry.Internal:5000/v2-proxy']])), lookup });

    expect(await approve(guard, 'http://registry.internal:5000/v2/')).toEqual({ addresses: [{ address: '127.0.0.1', family: 4 }] });
    expect(await approve(guard, 'http://other.internal/')).toEqual({ refusal: { host: 'other.internal', address: '127.0.0.1', rule: 'a loopback address' } });
    const local = new AddressGuard({ allowedHosts: endpointHosts(new Map([['quay.io', 'http://localhost:5000']])), lookup: lookupOf({ localhost: ['127.0.0.1'] }) });
    expect(await approve(local, 'http://localhost:5000/')).toEqual({ addresses: [{ address: '127.0.0.1', family: 4 }] });
  });

  it.each([
    ['host:port', '10.9.8.7:9001', 'http://10.9.8.7/'],
    ['with spaces around it', ' 10.9.8.7:9001 ', 'http://10.9.8.7:80/'],
    ['an IPv6 address', '[fd12::7]:9001', 'http://[FD12::7]/'],
  ])('refuses the Runtime API given as %s, on any port', async (_case, runtimeApi, url) => {
    const guard = new AddressGuard({ allowedHosts: new Set(), runtimeApi, lookup: lookupOf({}) });

    const verdict = await approve(guard, url);

    expect(verdict).toEqual({ refusal: expect.objectContaining({ rule: 'the Lambda Runtime API address' }) });
  });

  it('refuses a name resolving to the Runtime API address; a blank or unreadable setting refuses nothing extra', async () => {
    const lookup = lookupOf({ 'runtime.example': ['10.9.8.7'] });
    expect(await approve(new AddressGuard({ allowedHosts: new Set(), runtimeApi: '10.9.8.7:9001', lookup }), 'https://runtime.example/')).toEqual({
      refusal: { host: 'runtime.example', address: '10.9.8.7', rule: 'the Lambda Runtime API address' },
    });
    for (const runtimeApi of ['', '  ', 'http://[bad', undefined]) {
      expect(await approve(new AddressGuard({ allowedHosts: new Set(), runtimeApi, lookup }), 'https://runtime.example/')).toEqual({
        addresses: [{ address: '10.9.8.7', family: 4 }],
      });
    }
  });

  it('resolves a name once; a failed resolution is not kept, so the next try resolves again', async () => {
    const answers: Record<string, string[]> = {};
    const lookup = lookupOf(answers);
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup });

    await expect(approve(guard, 'https://quay.io/a')).rejects.toThrow('ENOTFOUND');
    answers['quay.io'] = ['52.0.0.1'];
    expect(await approve(guard, 'https://quay.io/b')).toEqual({ addresses: [{ address: '52.0.0.1', family: 4 }] });
    answers['quay.io'] = ['127.0.0.1'];
    expect(await approve(guard, 'https://QUAY.io/c')).toEqual({ addresses: [{ address: '52.0.0.1', family: 4 }] });
    expect(lookup.asked).toEqual(['quay.io', 'quay.io']);
  });
});

describe('Method: AddressGuard.copySourceRefusal', () => {
  it('judges the source registry by the address rules alone: mapped hosts and the Runtime API do not count', async () => {
    const lookup = lookupOf({ 'registry.internal': ['127.0.0.1'], 'quay.io': ['52.0.0.1'], 'runtime.example': ['10.9.8.7'] });
    const guard = new AddressGuard({ allowedHosts: new Set(['registry.internal']), runtimeApi: '10.9.8.7:9001', lookup });

    expect(await guard.copySourceRefusal('registry.internal:5000')).toEqual({ host: 'registry.internal', address: '127.0.0.1', rule: 'a loopback address' });
    expect(await guard.copySourceRefusal('localhost:5000')).toEqual({ host: 'localhost', address: 'localhost', rule: 'a loopback name' });
    expect(await guard.copySourceRefusal('[::1]:5000')).toEqual({ host: '::1', address: '::1', rule: 'a loopback address' });
    expect(await guard.copySourceRefusal('quay.io')).toBeUndefined();
    expect(await guard.copySourceRefusal('runtime.example')).toBeUndefined();
  });

  it('leaves a name that does not resolve, or is no host at all, to the job', async () => {
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup: lookupOf({}) });

    expect(await guard.copySourceRefusal('nowhere.example')).toBeUndefined();
    expect(await guard.copySourceRefusal('a b')).toBeUndefined();
  });
});

describe('Functions: urlHost, endpointHosts', () => {
  it('compare hosts in lower case, IPv6 without brackets; endpoint URLs that cannot be read are left out', () => {
    expect(urlHost(new URL('https://[FE80::1]:5000/x'))).toBe('fe80::1');
    expect(urlHost(new URL('https://Quay.IO/x'))).toBe('quay.io');
    expect(
      endpointHosts(
        new Map([
          ['a', 'https://A.example:5000/x'],
          ['b', 'not a url'],
          ['c', 'http://[::1]:5000'],
        ]),
      ),
    ).toEqual(new Set(['a.example', '::1']));
  });
});

describe('Function: systemLookup', () => {
  it('gives every address the system resolver has for a name, as text (localhost: from the hosts file)', async () => {
    const addresses = await systemLookup('localhost');

    expect(Array.isArray(addresses)).toBe(true);
    expect(addresses).toContain('127.0.0.1');
    expect(addresses.every((address) => typeof address === 'string')).toBe(true);
  });
});
