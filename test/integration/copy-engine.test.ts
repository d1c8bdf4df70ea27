// The function engine's copy (src/mirror/copy) with the real RegistryClient against the reference registry (Debian
// docker-registry 2.8.2): an anonymous "quay.io" and an htpasswd-protected stand-in for this account's ECR, reached
// through the endpoint map as the deployed function would be. What arrives must be the source byte for byte; blobs the
// target has are not sent again; a source blob that does not match its digest is refused and nothing is tagged; and
// a layer larger than the function's memory (256 MB) streams through a process whose V8 heap is capped far below it,
// with its peak resident set size measured by the kernel.
import { execFile } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyError } from '../../src/mirror/core/errors.js';
import type { RegistryCredentials } from '../../src/mirror/registry/credentials.js';
import { functionCopy, type FunctionCopyOptions } from '../support/function-copy.js';
import { generateImage, pushImage } from '../support/images.js';
import { LOOPBACK } from '../support/loopback.js';
import { readManifest, readStoredImage, tryReadManifest } from '../support/oci-reader.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import { haveTools, TOOLS } from '../support/tools.js';

const run = promisify(execFile);
const SOURCE_HOST = 'quay.io';
const TARGET_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const TARGET_CREDENTIALS: RegistryCredentials = { username: 'AWS', password: 'integration-ecr-token-19' };
/** The mirror function's memory in template.yaml. */
const FUNCTION_MEMORY_MB = 256;
const LARGE_LAYER_BYTES = 320 * 1024 * 1024;

/** A proxy in front of the source registry that flips every byte of one blob (same length). */
async function corruptingProxy(backend: string, digest: string): Promise<{ url: string; server: Server }> {
  const target = new URL(backend);
  const server = createServer((incoming, outgoing) => {
    const forward = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      if (incoming.method === 'GET' && incoming.url?.endsWith(`/blobs/${digest}`)) answer.on('data', (chunk: Buffer) => outgoing.write(chunk.map((byte) => byte ^ 0xff)));
      else answer.on('data', (chunk: Buffer) => outgoing.write(chunk));
      answer.on('end', () => outgoing.end());
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return { url: `http://${LOOPBACK}:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.htpasswd))('Function engine copy (real docker-registry)', () => {
  let source: LocalRegistry;
  let target: LocalRegistry;
  const options = (extra: Partial<FunctionCopyOptions> & Pick<FunctionCopyOptions, 'source' | 'architecture' | 'target'>): FunctionCopyOptions => ({
    endpoints: new Map([
      [SOURCE_HOST, source.url],
      [TARGET_HOST, target.url],
    ]),
    credentials: new Map([[TARGET_HOST, TARGET_CREDENTIALS]]),
    ...extra,
  });

  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry({ name: 'copy-source' }), startRegistry({ name: 'copy-target', htpasswd: TARGET_CREDENTIALS })]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('one platform of an OCI index with attestations: the platform manifest under the tag, byte for byte, and its blobs', async () => {
    const image = generateImage({ platforms: ['linux/amd64', 'linux/arm64'], attestation: true, layers: 2, layerBytes: 256 * 1024 });
    await pushImage(source.url, 'team/app', '1.0', image);
    const result = await functionCopy(options({ source: `${SOURCE_HOST}/team/app:1.0`, architecture: 'arm64', target: `${TARGET_HOST}/mirror/team/app:1.0` }));
    const arm64 = image.platforms['linux/arm64']!;
    expect(result.digest).toBe(arm64.digest);
    // Every blob the manifest names is in the target and reads back as its digest; the manifest is the source's bytes.
    const stored = await readStoredImage(target.url, 'mirror/team/app', arm64.digest, TARGET_CREDENTIALS);
    expect(stored.blobs.size).toBe(3);
    expect(Buffer.compare((await readManifest(target.url, 'mirror/team/app', arm64.digest, TARGET_CREDENTIALS)).bytes, arm64.bytes)).toBe(0);
    expect((await tryReadManifest(target.url, 'mirror/team/app', '1.0', TARGET_CREDENTIALS))?.digest).toBe(arm64.digest);
    expect(result.progress).toMatchObject({ totalBlobs: 3, copied: 3, present: 0 });
  });

  it('all platforms of a Docker manifest list: every child and the list, digest unchanged; again, nothing is sent twice', async () => {
    const image = generateImage({ platforms: ['linux/amd64', 'linux/arm64/v8'], format: 'docker', attestation: true, layers: 1, layerBytes: 128 * 1024 });
    await pushImage(source.url, 'team/list', '2', image);
    const first = await functionCopy(options({ source: `${SOURCE_HOST}/team/list:2`, architecture: 'all', target: `${TARGET_HOST}/mirror/team/list:2` }));
    expect(first.digest).toBe(image.digest);
    for (const child of image.children) expect((await tryReadManifest(target.url, 'mirror/team/list', child.digest, TARGET_CREDENTIALS))?.digest).toBe(child.digest);
    expect(first.progress.copied).toBe(image.blobs.length);
    const again = await functionCopy(options({ source: `${SOURCE_HOST}/team/list:2`, architecture: 'all', target: `${TARGET_HOST}/mirror/team/list:2-again` }));
    expect(again.digest).toBe(image.digest);
    expect(again.progress).toMatchObject({ copied: 0, present: image.blobs.length, copiedBytes: 0 });
  });

  it('copies of one image into one repository at the same moment (two mirrors of one image): every copy succeeds with the source digest', async () => {
    // docker-registry rewrites a blob's link in place when a second upload of it ends, and a manifest pushed in that
    // moment is refused naming an unknown blob: the copies run in rounds, each into a new repository, so every round
    // uploads every blob again at once.
    const image = generateImage({ platforms: ['linux/amd64'], layers: 4, layerBytes: 64 * 1024, seed: 'concurrent-copies' });
    await pushImage(source.url, 'team/shared', '1.0', image);
    const amd64 = image.platforms['linux/amd64']!;
    for (let round = 0; round < 4; round++) {
      const repository = `mirror/round-${round}/team/shared`;
      const copies = Array.from({ length: 4 }, () =>
        functionCopy(options({ source: `${SOURCE_HOST}/team/shared:1.0`, architecture: 'x86_64', target: `${TARGET_HOST}/${repository}:1.0` })),
      );
      const digests = (await Promise.allSettled(copies)).map((result) => (result.status === 'fulfilled' ? result.value.digest : String(result.reason)));
      expect(digests).toEqual(Array(4).fill(amd64.digest));
      expect((await tryReadManifest(target.url, repository, '1.0', TARGET_CREDENTIALS))?.digest).toBe(amd64.digest);
    }
  });

  it('refuses a source blob that does not match its digest: nothing is tagged, the blob is not in the target', async () => {
    const image = generateImage({ platforms: ['linux/amd64'], layers: 1, layerBytes: 512 * 1024 });
    await pushImage(source.url, 'team/bad', '1', image);
    const layer = (image.top.json as { layers: { digest: string }[] }).layers[0]!.digest;
    const proxy = await corruptingProxy(source.url, layer);
    try {
      const failure = await functionCopy({
        ...options({ source: `${SOURCE_HOST}/team/bad:1`, architecture: 'x86_64', target: `${TARGET_HOST}/mirror/team/bad:1` }),
        endpoints: new Map([
          [SOURCE_HOST, proxy.url],
          [TARGET_HOST, target.url],
        ]),
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(CopyError);
      expect((failure as Error).message).toMatch(
        new RegExp(`blob ${layer} from quay.io is not what the manifest says \\(content digest sha256:[0-9a-f]{64}\\); refusing it, so nothing is tagged`),
      );
      expect(await tryReadManifest(target.url, 'mirror/team/bad', '1', TARGET_CREDENTIALS)).toBeUndefined();
      const head = await fetch(`${target.url}/v2/mirror/team/bad/blobs/${layer}`, {
        method: 'HEAD',
        headers: { authorization: `Basic ${Buffer.from('AWS:integration-ecr-token-19').toString('base64')}` },
      });
      expect(head.status).toBe(404);
    } finally {
      proxy.server.close();
    }
  });

  it('says which credentials the target refused, and pushes nothing', async () => {
    const image = generateImage({ platforms: ['linux/amd64'], layers: 1, layerBytes: 1024 });
    await pushImage(source.url, 'team/denied', '1', image);
    const failure = await functionCopy({
      ...options({ source: `${SOURCE_HOST}/team/denied:1`, architecture: 'x86_64', target: `${TARGET_HOST}/mirror/team/denied:1` }),
      credentials: new Map([[TARGET_HOST, { username: 'AWS', password: 'expired-token' }]]),
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toMatch(
      /refused the upload of blob sha256:[0-9a-f]{64} \(HTTP 401; registry says "UNAUTHORIZED: authentication required"\)\. The mirror function's role must allow pushing/,
    );
  });

  it(`streams a ${LARGE_LAYER_BYTES / 1024 / 1024} MiB layer (more than the function's ${FUNCTION_MEMORY_MB} MB) with V8's old space capped at 64 MB (heap limit about 112 MB); the peak RSS stays far below the function's memory`, async () => {
    const image = generateImage({ platforms: ['linux/amd64'], layers: 1, layerBytes: LARGE_LAYER_BYTES, seed: 'large-layer' });
    await pushImage(source.url, 'team/large', '1', image);
    const layerSize = (image.top.json as { layers: { size: number }[] }).layers[0]!.size;
    expect(layerSize).toBeGreaterThan(FUNCTION_MEMORY_MB * 1024 * 1024);
    const input = {
      source: `${SOURCE_HOST}/team/large:1`,
      architecture: 'x86_64',
      target: `${TARGET_HOST}/mirror/team/large:1`,
      endpoints: { [SOURCE_HOST]: source.url, [TARGET_HOST]: target.url },
      credentials: { [TARGET_HOST]: TARGET_CREDENTIALS },
    };
    const child = new URL('../support/copy-memory-child.ts', import.meta.url).pathname;
    const { stdout } = await run(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', child, JSON.stringify(input)], { maxBuffer: 1024 * 1024 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { digest: string; copiedBytes: number; vmHwmBeforeKb: number; vmHwmKb: number; heapLimitBytes: number };
    console.log(
      `large layer: ${layerSize} bytes copied through a ${Math.round(report.heapLimitBytes / 1024 / 1024)} MB V8 heap; peak RSS ${Math.round(report.vmHwmKb / 1024)} MB ` +
        `(${Math.round(report.vmHwmBeforeKb / 1024)} MB before the copy began)`,
    );
    expect(report.digest).toBe(image.top.digest);
    expect(report.copiedBytes).toBeGreaterThanOrEqual(layerSize);
    expect(report.heapLimitBytes).toBeLessThan(layerSize);
    // The bound: a few chunks per stream in flight, BLOB_CONCURRENCY streams at most; the rest is Node itself (here with
    // the TypeScript loader). Measured: about 40 MiB over the process's own 85 MiB, leveling off as layers grow.
    expect(report.vmHwmKb - report.vmHwmBeforeKb).toBeLessThan(64 * 1024);
    expect(report.vmHwmKb).toBeLessThan(200 * 1024);
  });
});
