// Where the registry client may connect. A registry names further URLs itself: token services (the Bearer
// `realm`) and redirects. A hostile one could point them at the Lambda Runtime API (which serves this
// function's own events on 127.0.0.1), the instance metadata address, or anything else on loopback or
// link-local. Those addresses are refused, also when a DNS name resolves to them, unless the host is the
// host of a REGISTRY_ENDPOINTS value: an operator's explicit choice (tests, internal proxies).
// A host is resolved once per client; the connection then goes to exactly those addresses (connect.ts), so a
// DNS answer that changes between the check and the connection (rebinding) cannot move it elsewhere.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** All addresses of a host name (A and AAAA), as `dns.lookup(host, { all: true })` gives them. */
export type HostLookup = (hostname: string) => Promise<string[]>;

export const systemLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * The address classes nothing of this project connects to, first match named. The copy job states the same list in
 * bash (`address_refusal` in src/mirror/buildspec.yaml); test/integration/buildspec-guard.test.ts holds both to one table.
 */
export const ADDRESS_RULES: ReadonlyArray<{ readonly rule: string; readonly subnets: readonly string[] }> = [
  { rule: 'a loopback address', subnets: ['127.0.0.0/8', '::1/128'] },
  { rule: 'an unspecified ("this host") address', subnets: ['0.0.0.0/8', '::/128'] },
  { rule: 'a link-local address (instance metadata and other host services)', subnets: ['169.254.0.0/16'] },
  { rule: 'a link-local address', subnets: ['fe80::/10'] },
  // fd00:ec2::254: the instance metadata service over IPv6.
  { rule: 'the instance metadata address', subnets: ['fd00:ec2::254/128'] },
];

/** IPv6 prefixes (/96) whose last 32 bits reach an IPv4 address: IPv4-mapped, IPv4-compatible, NAT64's well-known prefix. */
export const IPV4_EMBEDDING_PREFIXES: readonly string[] = ['::ffff:', '::', '64:ff9b::'];

/** One BlockList per rule; every IPv4 subnet also in each IPv4-embedding IPv6 form. */
const RULE_LISTS = ADDRESS_RULES.map(({ rule, subnets }) => {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network, bits] = subnet.split('/') as [string, string];
    if (isIP(network) === 4) {
      list.addSubnet(network, Number(bits), 'ipv4');
      for (const prefix of IPV4_EMBEDDING_PREFIXES) list.addSubnet(`${prefix}${network}`, 96 + Number(bits), 'ipv6');
    } else {
      list.addSubnet(network, Number(bits), 'ipv6');
    }
  }
  return { rule, list };
});

/** An address as compared: no brackets, no zone (`%eth0`), lower case. */
function bareAddress(address: string): string {
  return address
    .replace(/^\[|\]$/g, '')
    .split('%')[0]!
    .toLowerCase();
}

/** Why an address is never contacted, or undefined when it may be. */
export function forbiddenAddressReason(address: string, runtimeApiHost?: string): string | undefined {
  const ip = bareAddress(address);
  if (runtimeApiHost !== undefined && ip === bareAddress(runtimeApiHost)) return 'the Lambda Runtime API address';
  const family = isIP(ip);
  if (family === 0) return undefined;
  return RULE_LISTS.find(({ list }) => list.check(ip, family === 4 ? 'ipv4' : 'ipv6'))?.rule;
}

/** Why a host is refused: the host as named, the address that is refused and the rule it falls under. */
export interface AddressRefusal {
  readonly host: string;
  /** The refused address (the host itself when it is an address or a loopback name). */
  readonly address: string;
  readonly rule: string;
}

/** `127.0.0.1 is a loopback address`, `evil.example resolves to 169.254.169.254, a link-local address ...`. */
export function describeRefusal(refusal: AddressRefusal): string {
  return refusal.host === refusal.address ? `${refusal.host} is ${refusal.rule}` : `${refusal.host} resolves to ${refusal.address}, ${refusal.rule}`;
}

/** An address a connection may use, as `dns.lookup` gives it. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The guard's verdict on a URL's host: refused, or the only addresses a connection to it may use. */
export type HostApproval = { readonly refusal: AddressRefusal } | { readonly addresses: readonly ResolvedAddress[] };

export interface AddressGuardOptions {
  /** Hosts of the REGISTRY_ENDPOINTS values: allowed whatever they resolve to. */
  readonly allowedHosts: ReadonlySet<string>;
  /** AWS_LAMBDA_RUNTIME_API (`host:port`). */
  readonly runtimeApi?: string | undefined;
  readonly lookup?: HostLookup;
}

/** The hostname of a URL as it is compared: lower case, IPv6 without brackets. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function runtimeApiHost(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return urlHost(new URL(`http://${value.trim()}`));
  } catch {
    return undefined;
  }
}

function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export class AddressGuard {
  private readonly lookup: HostLookup;
  private readonly runtimeHost: string | undefined;
  /** Addresses per host name, for the life of the client: every connection to the name uses these. Failures are not kept. */
  private readonly resolutions = new Map<string, Promise<readonly ResolvedAddress[]>>();

  constructor(private readonly options: AddressGuardOptions) {
    this.lookup = options.lookup ?? systemLookup;
    this.runtimeHost = runtimeApiHost(options.runtimeApi);
  }

  /**
   * The addresses a connection to `url` may use, or why it must not be made. A name that cannot be resolved
   * rejects with the resolver's error (the connection would fail the same way): it reaches nothing.
   */
  async approve(url: URL): Promise<HostApproval> {
    const host = urlHost(url);
    const exempt = this.options.allowedHosts.has(host);
    return this.judge(host, exempt ? undefined : (address) => forbiddenAddressReason(address, this.runtimeHost));
  }

  /**
   * Why the copy job must not be given `registry` (`host[:port]`) as its source, judged as the buildspec judges it:
   * the address rules alone (the job neither reads REGISTRY_ENDPOINTS nor runs next to the Runtime API). An
   * unresolvable name is left to the job, which reaches nothing with it.
   */
  async copySourceRefusal(registry: string): Promise<AddressRefusal | undefined> {
    let host: string;
    try {
      host = urlHost(new URL(`https://${registry}`));
    } catch {
      return undefined; // not a host: the reference grammar refused it long before
    }
    try {
      const verdict = await this.judge(host, (address) => forbiddenAddressReason(address));
      return 'refusal' in verdict ? verdict.refusal : undefined;
    } catch {
      return undefined;
    }
  }

  private async judge(host: string, reasonFor: ((address: string) => string | undefined) | undefined): Promise<HostApproval> {
    if (reasonFor !== undefined && isLoopbackName(host)) return { refusal: { host, address: host, rule: 'a loopback name' } };
    const family = isIP(host);
    const addresses: readonly ResolvedAddress[] = family !== 0 ? [{ address: host, family: family as 4 | 6 }] : await this.resolve(host);
    for (const { address } of addresses) {
      const rule = reasonFor?.(address);
      if (rule !== undefined) return { refusal: { host, address, rule } };
    }
    return { addresses };
  }

  private resolve(host: string): Promise<readonly ResolvedAddress[]> {
    let pending = this.resolutions.get(host);
    if (pending === undefined) {
      pending = this.lookup(host).then((found) =>
        found.flatMap((address): ResolvedAddress[] => {
          const family = isIP(address);
          return family === 0 ? [] : [{ address, family: family as 4 | 6 }];
        }),
      );
      // A failed lookup is not remembered: a retry resolves again.
      pending.catch(() => this.resolutions.delete(host));
      this.resolutions.set(host, pending);
    }
    return pending;
  }
}

/** Hosts of the endpoint map's URLs. */
export function endpointHosts(endpoints: ReadonlyMap<string, string>): Set<string> {
  const hosts = new Set<string>();
  for (const value of endpoints.values()) {
    try {
      hosts.add(urlHost(new URL(value)));
    } catch {
      // parseEndpointMap already refused it.
    }
  }
  return hosts;
}
