// The copy job refuses the addresses the mirror function refuses, by itself, before skopeo runs: one list of rules,
// stated once in TypeScript (src/mirror/registry/guard.ts) and once in the buildspec's bash (address_refusal,
// host_refusal). This suite holds the two to the same cases: the rule lists are the same text, the verdicts agree on a
// table of addresses (every IPv6 spelling included), and the real buildspec, run by the local CodeBuild stand-in,
// refuses the issue's sources in pre_build naming the host, the address and the rule, with skopeo never asked. DNS for
// the job comes from a getent stand-in first on PATH; any name it does not know goes to the real getent.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS_RULES, AddressGuard, describeRefusal, forbiddenAddressReason, IPV4_EMBEDDING_PREFIXES } from '../../src/mirror/registry/guard.js';
import { runBuildspec, type BuildResult } from '../support/buildspec-runner.js';
import { buildspecUnderTestPath } from '../support/buildspec-under-test.js';
import { withSteps } from '../support/buildspec-steps.js';
import { haveTools, TOOLS } from '../support/tools.js';

/** The deployed (compact) buildspec: its bash is what CodeBuild runs. */
const BUILDSPEC = buildspecUnderTestPath();
const REGION = 'eu-west-1';
const TARGET = `123456789012.dkr.ecr.${REGION}.amazonaws.com/sysdig-image-fix/x/y:1`;

/** The bash verdict for every address: one line each, "<address>\t<rule or nothing>". */
function bashVerdicts(addresses: readonly string[]): Map<string, string | undefined> {
  const out = withSteps('while IFS= read -r a; do printf "%s\\t%s\\n" "$a" "$(address_refusal "$a")"; done', `${addresses.join('\n')}\n`);
  const verdicts = new Map<string, string | undefined>();
  for (const line of out.split('\n').filter((l) => l !== '')) {
    const [address, rule] = line.split('\t') as [string, string];
    verdicts.set(address, rule === '' ? undefined : rule);
  }
  return verdicts;
}

/** First and last address of every rule's networks, a neighbour outside each, in every IPv4-embedding IPv6 form. */
const NOTABLE = [
  ...['127.0.0.0', '127.255.255.255', '126.255.255.255', '128.0.0.0', '0.0.0.0', '0.255.255.255', '1.0.0.0', '169.254.0.0'],
  ...['169.254.255.255', '169.253.255.255', '169.255.0.0', '169.254.169.254', '169.254.170.2', '10.0.0.1', '52.0.0.1', '192.0.2.2'],
].flatMap((v4) => [v4, ...IPV4_EMBEDDING_PREFIXES.map((prefix) => `${prefix}${v4}`)]);

const SPELLINGS = [
  '::1',
  '0:0:0:0:0:0:0:1',
  '0000:0000:0000:0000:0000:0000:0000:0001',
  '::0:1',
  '::',
  '0::0',
  '::2',
  'fe80::',
  'FE80::1',
  'fe80::1%eth0',
  '[fe80::1]',
  'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fec0::',
  'fe7f::1',
  'fd00:ec2::254',
  'FD00:0EC2:0:0:0:0:0:0254',
  'fd00:ec2::253',
  'fd00:ec2::254:0',
  '::ffff:7f00:1',
  '::FFFF:127.0.0.1',
  '0:0:0:0:0:ffff:127.0.0.1',
  '::ffff:a9fe:a9fe',
  '::7f00:1',
  '::a9fe:aa02',
  '64:ff9b::7f00:1',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b:1::7f00:1',
  '::fffe:7f00:1',
  '2600:1f18::1',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:127.0.0.1',
  // Not addresses: both leave them alone (names are resolved first; these never come out of a resolver).
  '1:2:3:4:5:6:7:8:',
  ':1:2:3:4:5:6:7',
  '1::2::3',
  '1:2:3:4:5:6:7:8:9',
  '12345::1',
  '127.1',
  '0177.0.0.1',
  '2130706433',
  '256.0.0.1',
  'localhost',
  '',
];

describe('address rules: TypeScript and the buildspec', () => {
  it('state the same list: the same networks with the same rule, in the same order, and the same IPv4 embeddings', () => {
    const steps = readFileSync(BUILDSPEC, 'utf8');
    const bashRules = /\n\s*ADDRESS_RULES=\(\n([\s\S]*?)\n\s*\)\n/.exec(steps)?.[1];
    expect(bashRules).toBeDefined();
    const lines = bashRules!.split('\n').map((line) => /^\s*'(.*)'$/.exec(line)?.[1]);
    expect(lines).toEqual(ADDRESS_RULES.flatMap(({ rule, subnets }) => subnets.map((subnet) => `${subnet} ${rule}`)));
    const bashPrefixes = /\n\s*IPV4_EMBEDDING_PREFIXES=\(([^)]*)\)\n/.exec(steps)?.[1];
    expect(
      bashPrefixes
        ?.trim()
        .split(/\s+/)
        .map((prefix) => prefix.replace(/^'|'$/g, '')),
    ).toEqual([...IPV4_EMBEDDING_PREFIXES]);
  });

  it('give the same verdict on every notable address and spelling', () => {
    const addresses = [...NOTABLE, ...SPELLINGS];
    const bash = bashVerdicts(addresses);
    const mismatches = addresses.filter((address) => bash.get(address) !== forbiddenAddressReason(address));
    expect(mismatches.map((address) => `${address}: TypeScript ${forbiddenAddressReason(address)}, bash ${bash.get(address)}`)).toEqual([]);
    // The table exercises every rule (a rule nobody hits would prove nothing).
    expect(new Set(addresses.map((address) => forbiddenAddressReason(address)))).toEqual(new Set([...ADDRESS_RULES.map(({ rule }) => rule), undefined]));
  });

  it('give the same verdict on generated addresses (IPv4, IPv6 in any spelling, IPv4 embedded in IPv6)', () => {
    const v4 = fc.oneof(
      fc.ipV4(),
      fc.tuple(fc.constantFrom(0, 127, 169), fc.constantFrom(0, 254, 255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.')),
    );
    const addresses = fc.sample(
      fc.oneof(
        v4,
        fc.ipV6(),
        fc.tuple(fc.constantFrom(...IPV4_EMBEDDING_PREFIXES, '::fffe:', '64:ff9a::'), v4).map(([prefix, address]) => `${prefix}${address}`),
        fc.tuple(fc.constantFrom('fe80', 'febf', 'fec0', 'fd00:ec2', 'fe7f'), fc.ipV6()).map(([head, tail]) => `${head}:${tail.split(':').slice(-3).join(':')}`),
      ),
      { numRuns: 600, seed: 16 },
    );
    const bash = bashVerdicts(addresses);
    const mismatches = addresses.filter((address) => bash.get(address) !== forbiddenAddressReason(address));
    expect(mismatches.map((address) => `${address}: TypeScript ${forbiddenAddressReason(address)}, bash ${bash.get(address)}`)).toEqual([]);
    expect(addresses.filter((address) => forbiddenAddressReason(address) !== undefined).length).toBeGreaterThan(50);
  });
});

/** Host names the getent stand-in answers (as `getent ahosts` prints them); everything else goes to the real getent. */
const DNS: Readonly<Record<string, string[]>> = {
  'rebind.evil.example': ['203.0.113.9', '127.0.0.1'],
  'metadata.evil.example': ['169.254.169.254'],
  'v6loop.evil.example': ['2600:1f18::1', '::1'],
  'public.example': ['52.0.0.10', '2600:1f18::10'],
};

const FAKE_GETENT = (dnsFile: string, realGetent: string) => `#!/bin/bash
# Test stand-in for DNS: the names in ${dnsFile} answer as listed; the rest goes to the real getent.
if [ "$1" = ahosts ] && line="$(grep -m1 "^$2 " ${JSON.stringify(dnsFile)})"; then
  for address in \${line#* }; do printf '%-40s STREAM %s\\n' "$address" "$2"; done
  exit 0
fi
exec ${JSON.stringify(realGetent)} "$@"
`;

// The build phase's aws CLI: nothing to log in to here (only pre_build matters).
const AWS_STUB = `#!/bin/bash
echo 'aws stand-in: no AWS here' >&2
exit 1
`;

// Records every call; refuses everything but --version (install_tools asks it). Nothing may reach it past pre_build.
const SKOPEO_STUB = (log: string) => `#!/bin/bash
printf '%s\\n' "$*" >> ${JSON.stringify(log)}
[ "$1" = --version ] && { echo 'skopeo version 1.4.1 (stand-in)'; exit 0; }
echo 'skopeo stand-in: no registry here' >&2
exit 1
`;

describe.skipIf(!haveTools(TOOLS.jq))('copy job: refuses the source host by itself before skopeo runs', () => {
  let dir: string;
  let skopeoLog: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sif-guard-'));
    const dnsFile = join(dir, 'dns');
    writeFileSync(
      dnsFile,
      `${Object.entries(DNS)
        .map(([name, addresses]) => `${name} ${addresses.join(' ')}`)
        .join('\n')}\n`,
    );
    const realGetent = spawnSync('sh', ['-c', 'command -v getent'], { encoding: 'utf8' }).stdout.trim();
    expect(realGetent).not.toBe('');
    skopeoLog = join(dir, 'skopeo.log');
    for (const [name, text] of [
      ['getent', FAKE_GETENT(dnsFile, realGetent)],
      ['skopeo', SKOPEO_STUB(skopeoLog)],
      ['aws', AWS_STUB],
    ] as const) {
      writeFileSync(join(dir, name), text);
      chmodSync(join(dir, name), 0o755);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(sourceImage: string): Promise<{ result: BuildResult; skopeo: string[] }> {
    writeFileSync(skopeoLog, '');
    const result = await runBuildspec(BUILDSPEC, {
      env: { SOURCE_IMAGE: sourceImage, TARGET_IMAGE: TARGET, ARCHITECTURE: 'x86_64', AWS_REGION: REGION },
      pathPrepend: dir,
      region: REGION,
    });
    return { result, skopeo: readFileSync(skopeoLog, 'utf8').split('\n').filter(Boolean) };
  }

  const preBuild = (result: BuildResult) => result.phases.find((phase) => phase.name === 'pre_build');

  it.each([
    ['169.254.169.254/x/y:1', '169.254.169.254 is a link-local address (instance metadata and other host services)'],
    ['169.254.170.2/v2/credentials:1', '169.254.170.2 is a link-local address (instance metadata and other host services)'],
    ['127.0.0.1:9001/x/y:1', '127.0.0.1 is a loopback address'],
    ['localhost:5000/x/y:1', 'localhost is a loopback name'],
    ['2130706433:5000/x/y:1', '2130706433 resolves to 127.0.0.1, a loopback address'],
    ['rebind.evil.example/x/y:1', 'rebind.evil.example resolves to 127.0.0.1, a loopback address'],
    ['metadata.evil.example:443/x/y:1', 'metadata.evil.example resolves to 169.254.169.254, a link-local address'],
    ['v6loop.evil.example/x/y:1', 'v6loop.evil.example resolves to ::1, a loopback address'],
  ])('SOURCE_IMAGE %s: pre_build fails naming the host, the address and the rule; skopeo never copies', async (source, words) => {
    const { result, skopeo } = await run(source);
    expect(result.status, result.log).toBe('FAILED');
    expect(preBuild(result)?.status).toBe('FAILED');
    expect(result.log).toContain(`ERROR: SOURCE_IMAGE ${source}: its registry host ${words}`);
    expect(result.log).toContain('The copy job never connects to loopback, link-local, unspecified or instance metadata addresses');
    expect(skopeo).toEqual(['--version']);
  });

  it.each([
    ['a public name', 'public.example/x/y:1'],
    ['a name that does not resolve (left to skopeo: it reaches nothing)', 'unknown.invalid/x/y:1'],
    ['a private network address (internal registries live there)', '10.0.0.5:5000/x/y:1'],
  ])('SOURCE_IMAGE on %s passes the check', async (_label, source) => {
    const { result } = await run(source);
    expect(preBuild(result)?.status, result.log).toBe('SUCCEEDED');
    expect(result.log).toContain(`Mirroring ${source} (linux/amd64) to ${TARGET}`);
  });

  it('the mirror function judges the same hosts the same way (same DNS answers)', async () => {
    const guard = new AddressGuard({
      allowedHosts: new Set(),
      lookup: async (host) => DNS[host] ?? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })),
    });
    const hosts = ['169.254.169.254', '169.254.170.2', '127.0.0.1:9001', 'localhost:5000', ...Object.keys(DNS), 'unknown.invalid', '10.0.0.5:5000'];
    const bash = withSteps(
      `getent() { if [ "$1" = ahosts ] && line="$(grep -m1 "^$2 " <<'DNS'\n${Object.entries(DNS)
        .map(([name, addresses]) => `${name} ${addresses.join(' ')}`)
        .join('\n')}\nDNS\n)"; then for a in \${line#* }; do echo "$a STREAM $2"; done; else command getent "$@"; fi; }\n` +
        'while IFS= read -r h; do printf "%s\\t%s\\n" "$h" "$(host_refusal "${h%%:*}")"; done',
      `${hosts.join('\n')}\n`,
    );
    const bashVerdict = new Map(out(bash));
    for (const host of hosts) {
      const refusal = await guard.copySourceRefusal(host);
      expect(bashVerdict.get(host), host).toBe(refusal === undefined ? '' : describeRefusal(refusal));
    }
  });
});

function out(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t') as [string, string]);
}
