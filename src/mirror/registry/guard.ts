// Where the registry client may connect. A registry names further URLs itself: token services (the Bearer
// `realm`) and redirects. A hostile one could point them at the Lambda Runtime API (which serves this
// function's own events on 127.0.0.1), the instance metadata address, or anything else on loopback or
// link-local. Those addresses are refused, also when a DNS name resolves to them, unless the host is the
// host of a REGISTRY_ENDPOINTS value: an operator's explicit choice (tests, internal proxies).
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** All addresses of a host name (A and AAAA), as `dns.lookup(host, { all: true })` gives them. */
export type HostLookup = (hostname: string) => Promise<string[]>;

export const systemLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** Why an address is never contacted, or undefined when it may be. */
export function forbiddenAddressReason(address: string, runtimeApiHost?: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (runtimeApiHost !== undefined && ip === runtimeApiHost.replace(/^\[|\]$/g, '').toLowerCase()) return 'the Lambda Runtime API address';
  const family = isIP(ip);
  if (family === 4) return ipv4Reason(ip);
  if (family === 6) return ipv6Reason(ip);
  return undefined;
}

function ipv4Reason(ip: string): string | undefined {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  if (a === 127) return 'a loopback address';
  if (a === 0) return 'an unspecified ("this host") address';
  if (a === 169 && b === 254) return 'a link-local address (instance metadata and other host services)';
  return undefined;
}

/** The 8 groups of an IPv6 address (`::` expanded, an embedded IPv4 tail converted). */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 0) return undefined;
  const groups = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

function ipv6Reason(ip: string): string | undefined {
  const groups = ipv6Groups(ip);
  if (groups === undefined) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeroUpTo = (n: number): boolean => groups.slice(0, n).every((group) => group === 0);
  if (zeroUpTo(7) && g7 === 1) return 'a loopback address';
  if (zeroUpTo(8)) return 'an unspecified ("this host") address';
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address';
  // fd00:ec2::254: the instance metadata service over IPv6.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) {
    return 'the instance metadata address';
  }
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms reach the IPv4 address.
  if (zeroUpTo(5) && (g5 === 0xffff || g5 === 0) && (g6 !== 0 || g7 > 1)) {
    return ipv4Reason(`${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`);
  }
  return undefined;
}

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

export class AddressGuard {
  private readonly lookup: HostLookup;
  private readonly runtimeHost: string | undefined;
  /** Verdicts per host name, for the life of the client (one resolution per host). */
  private readonly verdicts = new Map<string, Promise<string | undefined>>();

  constructor(private readonly options: AddressGuardOptions) {
    this.lookup = options.lookup ?? systemLookup;
    this.runtimeHost = runtimeApiHost(options.runtimeApi);
  }

  /**
   * Why the client must not connect to `url`, or undefined. A name that cannot be resolved is left to the
   * connection (which then fails with the DNS error): it reaches nothing.
   */
  async refusal(url: URL): Promise<string | undefined> {
    const host = urlHost(url);
    if (this.options.allowedHosts.has(host)) return undefined;
    if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
    if (isIP(host) !== 0) {
      const reason = forbiddenAddressReason(host, this.runtimeHost);
      return reason === undefined ? undefined : `${host} is ${reason}`;
    }
    let verdict = this.verdicts.get(host);
    if (verdict === undefined) {
      verdict = this.resolve(host);
      this.verdicts.set(host, verdict);
    }
    return verdict;
  }

  private async resolve(host: string): Promise<string | undefined> {
    let addresses: string[];
    try {
      addresses = await this.lookup(host);
    } catch {
      return undefined;
    }
    for (const address of addresses) {
      const reason = forbiddenAddressReason(address, this.runtimeHost);
      if (reason !== undefined) return `${host} resolves to ${address}, ${reason}`;
    }
    return undefined;
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
