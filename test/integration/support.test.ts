// Proves the test support library (test/support/) against the real tools other suites rely on: docker-registry,
// htpasswd, skopeo and moto_server. Expected digests are recomputed here with sha256 over what skopeo returns.
import { CreateRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateImage, ImageGeneratorError, pushImage, type GeneratedImage, type PushedImage } from '../support/images.js';
import { ecrClientFor, motoEcrCredentials, startMoto, type LocalMoto } from '../support/moto.js';
import { listTags, readBlob, readConfig, readManifest, RegistryContentError, RegistryHttpError, tryReadManifest } from '../support/oci-reader.js';
import { freePort } from '../support/loopback.js';
import { isProcessAlive, ProcessStartError, startProcess, waitFor, WaitTimeoutError } from '../support/processes.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import { haveTools, TOOLS } from '../support/tools.js';

const execFileAsync = promisify(execFile);

// Media types spelled out here, independently of test/support/media-types.ts.
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const EXPECTED_TYPES = {
  oci: { manifest: OCI_MANIFEST, index: OCI_INDEX },
  docker: { manifest: DOCKER_MANIFEST, index: DOCKER_LIST },
} as const;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function skopeo(args: string[]): Promise<Buffer> {
  const { stdout } = await execFileAsync('skopeo', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** `skopeo inspect --raw` of `host/repository<:tag|@digest>`: the exact bytes the registry serves. */
function skopeoRaw(host: string, repositoryAndReference: string, creds?: { username: string; password: string }): Promise<Buffer> {
  const auth = creds ? ['--creds', `${creds.username}:${creds.password}`] : ['--no-creds'];
  return skopeo(['inspect', '--raw', '--tls-verify=false', ...auth, `docker://${host}/${repositoryAndReference}`]);
}

/** Lists a gzip'd tar layer with the system `tar` (verbose: sizes and names). */
async function tarListing(layer: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sif-support-test-'));
  try {
    const file = join(dir, 'layer.tar.gz');
    await writeFile(file, layer);
    const { stdout } = await execFileAsync('tar', ['-tvzf', file]);
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

describe('Function: generateImage', () => {
  it('produces byte-identical images for one seed and different images for another', () => {
    const options = { platforms: ['linux/amd64', 'linux/arm64'], attestation: true, seed: 'same' } as const;
    const first = generateImage(options);
    const again = generateImage(options);
    const other = generateImage({ ...options, seed: 'other' });
    expect(again.digest).toBe(first.digest);
    expect(again.top.bytes.equals(first.top.bytes)).toBe(true);
    expect(other.digest).not.toBe(first.digest);
    expect(sha256(first.top.bytes)).toBe(first.digest);
  });

  it('makes just a manifest for one platform without attestation, and an index as soon as an attestation is added', () => {
    const plain = generateImage({ platforms: ['linux/arm64'], format: 'docker' });
    expect(plain.index).toBeUndefined();
    expect(plain.mediaType).toBe(DOCKER_MANIFEST);
    expect(plain.children).toEqual([]);
    const attested = generateImage({ platforms: ['linux/arm64'], attestation: true });
    expect(attested.mediaType).toBe(OCI_INDEX);
    expect((attested.top.json.manifests as IndexEntry[]).map((m) => m.platform?.architecture)).toEqual(['arm64', 'unknown']);
  });

  it('writes valid gzip tar layers of the requested size, stored uncompressed when large', async () => {
    const image = generateImage({ platforms: ['linux/amd64'], layers: 2, layerBytes: 3 * 1024 * 1024 });
    const manifest = image.top.json as { layers: Array<{ digest: string; size: number }> };
    expect(manifest.layers).toHaveLength(2);
    for (const [i, layer] of manifest.layers.entries()) {
      const blob = image.blobs.find((b) => b.digest === layer.digest)!;
      expect(sha256(blob.bytes)).toBe(layer.digest);
      expect(blob.size).toBe(layer.size);
      expect(blob.size).toBeGreaterThan(3 * 1024 * 1024); // random data does not compress
      const listing = await tarListing(blob.bytes);
      expect(listing).toMatch(new RegExp(`\\s${3 * 1024 * 1024}\\s.*sif-test/layer-${i}\\.bin`));
    }
  });

  it('refuses two platforms naming the same architecture', () => {
    expect(() => generateImage({ platforms: ['linux/arm64', 'linux/arm64/v8'] })).toThrow(ImageGeneratorError);
  });
});

/** Waits that only end a hang: a busy host may take seconds to start a shell or reap a process. */
const HANG_MS = 60_000;

describe('Function: startProcess', () => {
  it('stop() ends the whole process group, children included', async () => {
    const proc = await startProcess('sh', ['-c', 'sleep 300 & echo $!; wait'], { name: 'sleeper' });
    const childPid = Number(await waitFor(() => proc.output().match(/(\d+)\s*$/m)?.[1], HANG_MS, { what: 'the sleeper child pid' }));
    expect(isProcessAlive(proc.pid)).toBe(true);
    expect(isProcessAlive(childPid)).toBe(true);
    await proc.stop();
    expect(proc.exitStatus()).toBeDefined();
    expect(isProcessAlive(proc.pid)).toBe(false);
    await waitFor(() => !isProcessAlive(childPid), HANG_MS, { what: `pid ${childPid} to vanish` });
    expect(isProcessAlive(childPid)).toBe(false);
  });

  it('rejects a missing binary with ProcessStartError', async () => {
    await expect(startProcess('/nonexistent/sif-no-such-tool', [])).rejects.toBeInstanceOf(ProcessStartError);
  });
});

describe('Function: waitFor', () => {
  it('returns the first truthy value and reports the last error on timeout', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? `ready after ${calls}` : undefined), 5_000, { intervalMs: 1 })).resolves.toBe('ready after 3');
    const failing = waitFor(
      () => {
        throw new Error('still booting');
      },
      30,
      { what: 'a server', intervalMs: 5 },
    );
    await expect(failing).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(failing).rejects.toThrow(/a server.*still booting/);
  });
});

describe('Function: freePort', () => {
  it('returns a bindable port on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    expect(port).toBeGreaterThan(0);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.htpasswd, TOOLS.skopeo, TOOLS.moto))('Real registries, skopeo and moto_server', () => {
  describe('Function: pushImage (anonymous docker-registry)', () => {
    let registry: LocalRegistry;
    beforeAll(async () => {
      registry = await startRegistry({ name: 'source' });
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it.each(['oci', 'docker'] as const)('pushes a single-platform %s image that skopeo reads back with the same digest', async (format) => {
      const image = generateImage({ platforms: ['linux/amd64'], format, layers: 2 });
      const pushed = await pushImage(registry.url, `single/${format}`, 'v1', image);

      const raw = await skopeoRaw(registry.host, `single/${format}:v1`);
      expect(sha256(raw)).toBe(pushed.digest);
      expect(JSON.parse(raw.toString()).mediaType).toBe(EXPECTED_TYPES[format].manifest);
      expect(pushed.mediaType).toBe(EXPECTED_TYPES[format].manifest);
      expect(pushed.platforms['linux/amd64']).toEqual({ digest: sha256(raw), mediaType: EXPECTED_TYPES[format].manifest });
      expect(pushed.platforms['linux/arm64']).toBeUndefined();

      const read = await readManifest(registry.url, `single/${format}`, 'v1');
      expect(read.digest).toBe(sha256(raw));
      expect(read.mediaType).toBe(EXPECTED_TYPES[format].manifest);
      expect(read.bytes.equals(raw)).toBe(true);
      const config = JSON.parse((await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', `docker://${registry.host}/single/${format}:v1`])).toString());
      expect(config).toMatchObject({ os: 'linux', architecture: 'amd64' });
      expect(await readConfig(registry.url, `single/${format}`, 'v1')).toMatchObject({ os: 'linux', architecture: 'amd64' });
    });

    describe.each(['oci', 'docker'] as const)('two platforms with attestations (%s)', (format) => {
      let image: GeneratedImage;
      let pushed: PushedImage;
      const repository = `multi/${format}`;
      beforeAll(async () => {
        image = generateImage({ platforms: ['linux/amd64', 'linux/arm64/v8'], format, attestation: true });
        pushed = await pushImage(registry.url, repository, 'v2', image);
      });

      it('serves an index whose digest, media type and entries match what pushImage returned', async () => {
        const raw = await skopeoRaw(registry.host, `${repository}:v2`);
        const index = JSON.parse(raw.toString()) as { mediaType: string; manifests: IndexEntry[] };
        expect(sha256(raw)).toBe(pushed.digest);
        expect(index.mediaType).toBe(EXPECTED_TYPES[format].index);
        expect(pushed.mediaType).toBe(EXPECTED_TYPES[format].index);

        const amd64 = index.manifests.find((m) => m.platform?.architecture === 'amd64')!;
        const arm64 = index.manifests.find((m) => m.platform?.architecture === 'arm64')!;
        expect(arm64.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
        expect(pushed.platforms['linux/amd64']).toEqual({ digest: amd64.digest, mediaType: EXPECTED_TYPES[format].manifest });
        expect(pushed.platforms['linux/arm64']).toEqual({ digest: arm64.digest, mediaType: EXPECTED_TYPES[format].manifest });

        const attestations = index.manifests.filter((m) => m.platform?.os === 'unknown');
        expect(attestations).toHaveLength(2);
        for (const entry of attestations) {
          expect(entry.platform).toEqual({ os: 'unknown', architecture: 'unknown' });
          expect(entry.mediaType).toBe(OCI_MANIFEST);
          expect(entry.annotations?.['vnd.docker.reference.type']).toBe('attestation-manifest');
        }
        expect(attestations.map((a) => a.annotations?.['vnd.docker.reference.digest']).sort()).toEqual([amd64.digest, arm64.digest].sort());
        expect(pushed.attestations.map((a) => a.digest).sort()).toEqual(attestations.map((a) => a.digest).sort());
      });

      it('serves every child by digest with the bytes the index names', async () => {
        const index = await readManifest(registry.url, repository, 'v2');
        expect(index.digest).toBe(pushed.digest);
        for (const entry of index.json.manifests ?? []) {
          const raw = await skopeoRaw(registry.host, `${repository}@${entry.digest}`);
          expect(sha256(raw)).toBe(entry.digest);
          expect(raw.length).toBe(entry.size);
          expect(JSON.parse(raw.toString()).mediaType).toBe(entry.mediaType);
        }
        expect(await readConfig(registry.url, repository, pushed.platforms['linux/arm64']!.digest)).toMatchObject({
          os: 'linux',
          architecture: 'arm64',
          variant: 'v8',
        });
        await expect(readConfig(registry.url, repository, 'v2')).rejects.toBeInstanceOf(RegistryContentError);
      });

      it('lets skopeo --override-arch arm64 pick the arm64 child', async () => {
        const ref = `docker://${registry.host}/${repository}:v2`;
        const inspected = JSON.parse((await skopeo(['--override-arch', 'arm64', 'inspect', '--tls-verify=false', ref])).toString());
        expect(inspected.Architecture).toBe('arm64');
        const arm64 = await readManifest(registry.url, repository, pushed.platforms['linux/arm64']!.digest);
        expect(inspected.Layers).toEqual(arm64.json.layers?.map((l) => l.digest));

        const dir = await mkdtemp(join(tmpdir(), 'sif-support-copy-'));
        try {
          await skopeo(['--override-arch', 'arm64', 'copy', '--insecure-policy', '--src-tls-verify=false', ref, `dir:${join(dir, 'image')}`]);
          expect(sha256(await readFile(join(dir, 'image', 'manifest.json')))).toBe(pushed.platforms['linux/arm64']!.digest);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });

    it('uploads large blobs in chunks, re-pushes idempotently, and lists tags', async () => {
      const image = generateImage({ platforms: ['linux/arm64'], layerBytes: 3 * 1024 * 1024 + 7 });
      const first = await pushImage(registry.url, 'chunked/image', 'a', image, undefined, { chunkBytes: 1024 * 1024 });
      const second = await pushImage(registry.url, 'chunked/image', 'b', image, undefined, { chunkBytes: 1024 * 1024 });
      expect(second.digest).toBe(first.digest);
      for (const blob of image.blobs) {
        expect((await readBlob(registry.url, 'chunked/image', blob.digest)).equals(blob.bytes)).toBe(true);
      }
      expect((await listTags(registry.url, 'chunked/image')).sort()).toEqual(['a', 'b']);
      expect(await listTags(registry.url, 'never/pushed')).toEqual([]);
      expect(await tryReadManifest(registry.url, 'chunked/image', 'missing')).toBeUndefined();
    });
  });

  describe('Function: startRegistry with htpasswd', () => {
    const user = { username: 'AWS', password: 'correct horse' };
    let registry: LocalRegistry;
    beforeAll(async () => {
      registry = await startRegistry({ name: 'private', htpasswd: user });
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('refuses anonymous clients and wrong passwords, and accepts the configured user', async () => {
      const anonymous = await fetch(`${registry.url}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);

      const image = generateImage({ platforms: ['linux/amd64'] });
      await expect(pushImage(registry.url, 'private/image', 'v1', image)).rejects.toMatchObject({ name: 'RegistryHttpError', status: 401 });
      await expect(pushImage(registry.url, 'private/image', 'v1', image, { ...user, password: 'wrong' })).rejects.toBeInstanceOf(RegistryHttpError);

      const pushed = await pushImage(registry.url, 'private/image', 'v1', image, user);
      await expect(skopeoRaw(registry.host, 'private/image:v1')).rejects.toThrow(/unauthorized|authentication required/i);
      const raw = await skopeoRaw(registry.host, 'private/image:v1', user);
      expect(sha256(raw)).toBe(pushed.digest);
      expect((await readManifest(registry.url, 'private/image', 'v1', user)).digest).toBe(pushed.digest);
    });
  });

  describe('Function: startMoto', () => {
    let moto: LocalMoto;
    beforeAll(async () => {
      moto = await startMoto();
    });
    afterAll(async () => {
      await moto?.stop();
    });

    it('serves ECR CreateRepository and DescribeRepositories through the real SDK; reset() forgets them', async () => {
      const ecr = ecrClientFor(moto, 'ap-northeast-1');
      try {
        await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher' }));
        const { repositories } = await ecr.send(new DescribeRepositoriesCommand({}));
        expect(repositories?.map((r) => r.repositoryUri)).toEqual(['123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/sysdig-image-fix/quay.io/sysdig/serverless-patcher']);
        await moto.reset();
        expect((await ecr.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
      } finally {
        ecr.destroy();
      }
    });

    it('hands out an ECR token that decodes to AWS:123456789012-auth-token and opens an htpasswd registry', async () => {
      const credentials = await motoEcrCredentials(moto, 'eu-central-1');
      expect(credentials).toMatchObject({ username: 'AWS', password: '123456789012-auth-token' });
      expect(credentials.proxyEndpoint).toContain('123456789012.dkr.ecr.eu-central-1.amazonaws.com');
      const ecrStandIn = await startRegistry({ name: 'ecr', htpasswd: credentials });
      try {
        const pushed = await pushImage(ecrStandIn.url, 'mirrored', 'v1', generateImage({ platforms: ['linux/arm64'] }), credentials);
        expect(sha256(await skopeoRaw(ecrStandIn.host, 'mirrored:v1', credentials))).toBe(pushed.digest);
      } finally {
        await ecrStandIn.stop();
      }
    });
  });

  describe('Function: stop', () => {
    it('leaves no docker-registry or moto_server process behind', async () => {
      const registry = await startRegistry({ name: 'short-lived', htpasswd: { username: 'u', password: 'p' } });
      const moto = await startMoto();
      expect(isProcessAlive(registry.pid)).toBe(true);
      expect(isProcessAlive(moto.pid)).toBe(true);
      await Promise.all([registry.stop(), moto.stop()]);
      expect(isProcessAlive(registry.pid)).toBe(false);
      expect(isProcessAlive(moto.pid)).toBe(false);
      await expect(fetch(`${registry.url}/v2/`)).rejects.toThrow();
      await registry.stop(); // idempotent
    });
  });
});
