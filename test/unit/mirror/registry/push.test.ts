// Pushing as ECR accepts it (push.ts through RegistryClient): what a target is asked, what each refusal says (with the
// permissions to check when it is one of access), where an upload may go on (never to another origin), and what a
// streamed copy refuses. In-memory registries (memory-registry.ts) on the virtual clock; a wrapper scripts the answers
// a registry should never give.
import { describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../../src/mirror/registry/client.js';
import { RegistryError, RegistryProtocolError, RegistryUnauthorizedError, RegistryUnreachableError } from '../../../../src/mirror/registry/errors.js';
import { BlobDigestError, BlobStalledError, RegistryPushError } from '../../../../src/mirror/registry/push.js';
import { parseImageReference } from '../../../../src/reference/index.js';
import { VirtualClock } from '../fixtures/harness.js';
import { MemoryRegistries, MemoryRegistry, sha256 } from '../fixtures/memory-registry.js';
import { rejection } from './fake-registry.js';

const LAYER = Buffer.from('layer bytes '.repeat(4000));
const BLOB = { digest: sha256(LAYER), size: LAYER.length };
const SOURCE = parseImageReference('quay.io/acme/app:1.0');
const TARGET = parseImageReference('target.example/mirror/app:1.0');
const FOREVER = { signal: new AbortController().signal, remainingMs: () => Number.POSITIVE_INFINITY };

/** What `rewrite` returns instead of the registry's answer (undefined: the registry's own). */
type Rewrite = (method: string, url: URL, answer: () => Promise<Response>, init: RequestInit) => Promise<Response> | undefined;

function setup(rewrite: Rewrite = () => undefined) {
  const clock = new VirtualClock(0);
  const registries = new MemoryRegistries();
  const source = registries.add(new MemoryRegistry('quay.io'));
  const target = registries.add(new MemoryRegistry('target.example', { patchStatus: 201 }));
  registries.useClock(clock);
  source.repository('acme/app').blobs.set(BLOB.digest, LAYER);
  const asked: { method: string; url: URL; headers: Headers }[] = [];
  const fetch = (async (input: URL | string, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const method = (init.method ?? 'GET').toUpperCase();
    asked.push({ method, url, headers: new Headers(init.headers) });
    return rewrite(method, url, () => registries.fetch(input, init), init) ?? registries.fetch(input, init);
  }) as typeof globalThis.fetch;
  const client = new RegistryClient({ fetch, clock, retryDelayMs: 10, lookup: async () => ['203.0.113.7'] });
  return { client, source, target, asked, clock };
}

function answer(status: number, headers: Record<string, string> = {}, body: unknown = null): Response {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

const denied = { errors: [{ code: 'DENIED', message: 'not authorized to perform ecr:InitiateLayerUpload' }] };

describe('Method: RegistryClient.blobSize', () => {
  it('says how large a blob of the target is, and nothing for one it does not have', async () => {
    const { client, target } = setup();
    target.repository('mirror/app').blobs.set(BLOB.digest, LAYER);

    expect(await client.blobSize(TARGET, BLOB.digest, FOREVER)).toBe(LAYER.length);
    expect(await client.blobSize(TARGET, sha256(Buffer.from('other')), FOREVER)).toBeUndefined();
  });

  it('reports a target that refuses the question, and one that fails, as the registry error they are', async () => {
    const refusing = setup((method) => (method === 'HEAD' ? Promise.resolve(answer(403)) : undefined));
    const refused = await rejection(refusing.client.blobSize(TARGET, BLOB.digest, FOREVER));
    expect(refused).toBeInstanceOf(RegistryUnauthorizedError);
    expect(refused.message).toContain('target.example/mirror/app:1.0: target.example refused access to mirror/app (HTTP 403)');

    const failing = setup((method) => (method === 'HEAD' ? Promise.resolve(answer(500)) : undefined));
    const failed = await rejection(failing.client.blobSize(TARGET, BLOB.digest, FOREVER));
    expect(failed).toBeInstanceOf(RegistryError);
    expect(failed.message).toContain(`target.example failed to serve blob ${BLOB.digest} after 3 attempts`);
  });
});

describe('Method: RegistryClient.uploadBlob', () => {
  it('POSTs, PATCHes the whole blob with its length, and PUTs the digest to where the registry said', async () => {
    const { client, target, asked } = setup();

    await client.uploadBlob(TARGET, BLOB, LAYER, FOREVER);

    expect(target.uploaded).toEqual([{ repository: 'mirror/app', digest: BLOB.digest, bytes: LAYER.length }]);
    expect(asked.map((request) => request.method)).toEqual(['POST', 'PATCH', 'PUT']);
    const [, patch, put] = asked;
    expect([patch!.headers.get('content-type'), patch!.headers.get('content-length')]).toEqual(['application/octet-stream', String(LAYER.length)]);
    expect(put!.url.searchParams.get('digest')).toBe(BLOB.digest);
    expect(put!.url.searchParams.get('_state')).toMatch(/-next$/);
    expect(put!.headers.get('content-length')).toBe('0');
  });

  it.each([
    ['the start', 'POST', 201],
    ['the start', 'POST', 404],
    ['the upload', 'PATCH', 400],
    ['the finish', 'PUT', 202],
    ['the finish', 'PUT', 500],
  ])('a target refusing %s (%s answered %i) fails naming the blob and the answer', async (_step, refusedMethod, status) => {
    const { client, target } = setup((method, url) =>
      method === refusedMethod && url.pathname.includes('/blobs/uploads/')
        ? Promise.resolve(answer(status, {}, { errors: [{ code: 'UNSUPPORTED', message: 'no' }] }))
        : undefined,
    );

    const error = await rejection(client.uploadBlob(TARGET, BLOB, LAYER, { ...FOREVER }));

    expect(error).toBeInstanceOf(RegistryPushError);
    expect(error.message).toBe(`target.example/mirror/app:1.0: target.example refused the upload of blob ${BLOB.digest} (HTTP ${status}; registry says "UNSUPPORTED: no")`);
    expect((error as RegistryPushError).status).toBe(status);
    expect(target.uploaded).toEqual([]);
  });

  it.each([401, 403])('a refusal with %i names the permissions the mirror function needs', async (status) => {
    const { client } = setup((method) => (method === 'POST' ? Promise.resolve(answer(status, {}, denied)) : undefined));

    const error = await rejection(client.uploadBlob(TARGET, BLOB, LAYER, FOREVER));

    expect(error).toBeInstanceOf(RegistryPushError);
    expect(error.message).toContain('registry says "DENIED: not authorized to perform ecr:InitiateLayerUpload"');
    expect(error.message).toContain(
      "The mirror function's role must allow pushing to mirror/app (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchCheckLayerAvailability)",
    );
  });

  it.each([
    ['POST', 'the upload start'],
    ['PATCH', 'the upload'],
  ])('a %s answer without a location fails, saying so', async (refusedMethod, step) => {
    const { client } = setup((method, _url, real) => (method === refusedMethod ? real().then((response) => new Response(null, { status: response.status })) : undefined));

    const error = await rejection(client.uploadBlob(TARGET, BLOB, LAYER, FOREVER));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe(`target.example/mirror/app:1.0: target.example answered ${step} without an upload location`);
  });

  it('never sends the blob to an upload location on another origin', async () => {
    const { client, asked } = setup((method, _url, real) =>
      method === 'POST' ? real().then(() => new Response(null, { status: 202, headers: { location: 'https://collector.example/upload?x=1' } })) : undefined,
    );

    const error = await rejection(client.uploadBlob(TARGET, BLOB, LAYER, FOREVER));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain('target.example named an upload location on another origin (https://collector.example); refusing to send it the image');
    expect(asked.map((request) => request.url.host)).toEqual(['target.example']);
  });

  it('goes on at a location given relative to the registry', async () => {
    const { client, target } = setup((method, _url, real) =>
      method === 'POST'
        ? real().then((response) => {
            const location = new URL(response.headers.get('location')!);
            return new Response(null, { status: 202, headers: { location: `${location.pathname}${location.search}` } });
          })
        : undefined,
    );

    await client.uploadBlob(TARGET, BLOB, LAYER, FOREVER);

    expect(target.uploaded.map((blob) => blob.digest)).toEqual([BLOB.digest]);
  });
});

describe('Method: RegistryClient.copyBlob', () => {
  it('streams the blob from the source into the target', async () => {
    const { client, target } = setup();

    await client.copyBlob(SOURCE, TARGET, BLOB, FOREVER);

    expect(target.repository('mirror/app').blobs.get(BLOB.digest)?.equals(LAYER)).toBe(true);
  });

  it('refuses a digest whose algorithm cannot be checked, before asking anything', async () => {
    const { client, asked } = setup();

    const error = await rejection(client.copyBlob(SOURCE, TARGET, { digest: `md5:${'a'.repeat(32)}`, size: 1 }, FOREVER));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe(`quay.io/acme/app:1.0: blob md5:${'a'.repeat(32)} cannot be checked: digest algorithm "md5" is not supported (sha256, sha384, sha512 are)`);
    expect(asked).toEqual([]);
  });

  it('a blob the source does not have means the image is incomplete; a source that fails is its registry error', async () => {
    const missing = { digest: sha256(Buffer.from('missing')), size: 7 };
    const { client } = setup();
    const error = await rejection(client.copyBlob(SOURCE, TARGET, missing, FOREVER));
    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain(`the manifest references blob ${missing.digest}, which quay.io does not have (the image is incomplete)`);
    expect((error as RegistryError).status).toBe(404);

    const failing = setup((method, url) => (method === 'GET' && url.host === 'quay.io' ? Promise.resolve(answer(403, {}, denied)) : undefined));
    const refused = await rejection(failing.client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));
    expect(refused).toBeInstanceOf(RegistryUnauthorizedError);
    expect(refused.message).toContain(`quay.io/acme/app:1.0: quay.io refused access to acme/app`);
  });

  it('refuses bytes that are not the blob, and nothing is stored', async () => {
    const { client, source, target } = setup();
    source.blobServing = () => ({ corrupt: true });

    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));

    expect(error).toBeInstanceOf(BlobDigestError);
    expect(error.message).toMatch(
      new RegExp(`^quay\\.io/acme/app@${BLOB.digest}: blob ${BLOB.digest} from quay\\.io is not what the manifest says \\(content digest sha256:`),
    );
    expect(error.message).toContain('refusing it, so nothing is tagged');
    // The log prints each error's name and its cause: the check's own verdict.
    expect([error.name, (error.cause as Error).name]).toEqual(['BlobDigestError', 'BlobMismatch']);
    expect(target.uploaded).toEqual([]);
  });

  it('ends a transfer in which nothing moved for as long as a request may take, saying how far it got', async () => {
    const { client, source, target } = setup();
    source.blobServing = () => ({ chunkBytes: 4096, stallAfterBytes: 8192, stallMs: 60_000 });

    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));

    expect(error).toBeInstanceOf(BlobStalledError);
    expect(error.message).toBe(
      `quay.io/acme/app@${BLOB.digest}: the transfer of blob ${BLOB.digest} from quay.io to target.example stalled after 8192 of ${LAYER.length} bytes: ` +
        'no byte moved for 15000 ms mid-blob. The source registry or the network path is too slow for the mirror function',
    );
    expect([error.name, (error.cause as Error).name]).toEqual(['BlobStalledError', 'TransferStalled']);
    expect(target.uploaded).toEqual([]);
  });

  it('a target that fails the upload is reported as its own failure', async () => {
    const { client } = setup((method) =>
      method === 'PATCH' ? Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) })) : undefined,
    );

    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));

    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect(error.message).toContain('cannot reach target.example');
    expect(error.message).toContain('connection reset (ECONNRESET)');
  });
});

describe('Method: RegistryClient.copyBlob (what a source or target that misbehaves gets)', () => {
  it('cuts a long digest it cannot check to 100 characters in its refusal', async () => {
    const digest = `md5:${'a'.repeat(200)}`;
    const error = await rejection(setup().client.copyBlob(SOURCE, TARGET, { digest, size: 1 }, FOREVER));
    expect(error.message).toContain(`blob ${digest.slice(0, 100)} cannot be checked`);
    expect(error.message).not.toContain(digest.slice(0, 101));
  });

  it('a source failing the blob with a not-found code is its failure to serve the blob, not a missing image', async () => {
    const { client } = setup((method, url) =>
      method === 'GET' && url.host === 'quay.io' ? Promise.resolve(answer(500, {}, { errors: [{ code: 'NAME_UNKNOWN', message: 'backend lost it' }] })) : undefined,
    );
    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));
    expect(error.name).toBe('RegistryError');
    expect(error.message).toBe(
      `quay.io/acme/app:1.0: quay.io failed to serve blob ${BLOB.digest} after 3 attempts (HTTP 500; registry says "NAME_UNKNOWN: backend lost it"). The registry is having problems; retry later`,
    );
  });

  it('a source answering the blob with no body (204) failed to serve it', async () => {
    const { client, target } = setup((method, url) => (method === 'GET' && url.host === 'quay.io' ? Promise.resolve(new Response(null, { status: 204 })) : undefined));
    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));
    expect(error.name).toBe('RegistryError');
    expect(error.message).toBe(`quay.io/acme/app:1.0: quay.io failed to serve blob ${BLOB.digest} (HTTP 204)`);
    expect(target.uploaded).toEqual([]);
  });

  it('lets go of the download when the target refuses the upload before reading a byte', async () => {
    let cancelled = false;
    const { client } = setup((method, url) => {
      if (method === 'GET' && url.host === 'quay.io') {
        const body = new ReadableStream<Uint8Array>({
          pull: (controller) => controller.enqueue(new Uint8Array(LAYER)),
          cancel: () => {
            cancelled = true;
          },
        });
        return Promise.resolve(new Response(body, { status: 200 }));
      }
      return method === 'POST' ? Promise.resolve(answer(403, {}, denied)) : undefined;
    });
    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));
    expect(error).toBeInstanceOf(RegistryPushError);
    expect(cancelled).toBe(true);
  });

  it('a target that stops taking the body is given up on when the idle time has passed since the last byte', async () => {
    const { client, clock } = setup((method, _url, _answer, init) => {
      if (method !== 'PATCH') return undefined;
      // Takes the first chunk, then never reads again nor answers: only the request's signal ends it.
      return (async () => {
        await (init.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().next();
        return new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true }));
      })();
    });
    const call = { signal: clock.timer(120_000).signal, remainingMs: () => 120_000 - clock.now() };
    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, call));
    expect(error).toBeInstanceOf(BlobStalledError);
    expect(clock.now()).toBe(15_000);
  });

  it('gives each upload request the time one request may take, not all the call has left', async () => {
    const { client, clock } = setup((method, _url, _answer, init) =>
      method === 'POST' ? new Promise<Response>((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true })) : undefined,
    );
    const call = { signal: clock.timer(600_000).signal, remainingMs: () => 600_000 - clock.now() };

    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, call));

    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect(error.message).toContain('no answer within 15000 ms');
    expect(clock.now()).toBeLessThan(600_000);
  });

  it('refuses a blob whose bytes failed the check even when the target completed its upload', async () => {
    const { client, source } = setup((method, url, _answer, init) => {
      if (method === 'PATCH') {
        // A target that swallows a broken body and acknowledges it anyway.
        return (async () => {
          try {
            for await (const _chunk of init.body as AsyncIterable<Uint8Array>);
          } catch {}
          return new Response(null, { status: 202, headers: { location: `${url.origin}${url.pathname}` } });
        })();
      }
      return method === 'PUT' ? Promise.resolve(new Response(null, { status: 201 })) : undefined;
    });
    source.blobServing = () => ({ corrupt: true });
    const error = await rejection(client.copyBlob(SOURCE, TARGET, BLOB, FOREVER));
    expect(error).toBeInstanceOf(BlobDigestError);
  });
});

describe('Pushing to a registry that hands out Bearer tokens by scope', () => {
  const PUSH_SCOPE = 'repository:mirror/app:pull,push';

  /** target.example takes writes only with a token of the push scope, as token-based registries do. */
  function tokenTarget() {
    const answered: string[] = [];
    const context = setup((method, url, real, init) => {
      if (url.host === 'auth.example') return Promise.resolve(answer(200, {}, { token: `scope=${url.searchParams.get('scope')}` }));
      if (url.host !== 'target.example') return undefined;
      const needed = ['POST', 'PATCH', 'PUT'].includes(method) ? PUSH_SCOPE : 'repository:mirror/app:pull';
      const granted = new Headers(init.headers).get('authorization')?.replace(/^Bearer scope=/, '') ?? '';
      if (granted !== needed && granted !== PUSH_SCOPE) {
        answered.push(`${method} 401`);
        return Promise.resolve(
          answer(401, { 'www-authenticate': `Bearer realm="https://auth.example/token",service="target.example",scope="${needed}"` }, { errors: [{ code: 'UNAUTHORIZED' }] }),
        );
      }
      return real().then((response) => {
        answered.push(`${method} ${response.status}`);
        return response;
      });
    });
    return { ...context, answered };
  }

  it('asks for a push token once, and sends every later write with it (a streamed PATCH cannot be sent again after a 401)', async () => {
    const { client, answered } = tokenTarget();
    const config = Buffer.from('{"os":"linux"}');
    const manifest = { bytes: new TextEncoder().encode('{"schemaVersion":2}'), mediaType: 'application/vnd.oci.image.manifest.v1+json' };

    await client.copyBlob(SOURCE, TARGET, BLOB, FOREVER);
    await client.uploadBlob(TARGET, { digest: sha256(config), size: config.length }, config, FOREVER);
    await client.putManifest(TARGET, 'v1', manifest, FOREVER);

    expect(answered).toEqual(['POST 401', 'POST 202', 'PATCH 201', 'PUT 201', 'POST 202', 'PATCH 201', 'PUT 201', 'PUT 201']);
  });
});

describe('Method: RegistryClient.putManifest', () => {
  const manifest = { bytes: new TextEncoder().encode('{"schemaVersion":2,"layers":[]}'), mediaType: 'application/vnd.oci.image.manifest.v1+json' };

  it('PUTs the exact bytes under the reference with their media type, and returns the digest the registry reports', async () => {
    const { client, target, asked } = setup();

    const digest = await client.putManifest(TARGET, 'v1', manifest, FOREVER);

    expect(digest).toBe(sha256(manifest.bytes));
    expect(target.manifest('mirror/app', 'v1')?.mediaType).toBe(manifest.mediaType);
    expect(asked[0]!.headers.get('content-type')).toBe(manifest.mediaType);
    expect(asked[0]!.url.pathname).toBe('/v2/mirror/app/manifests/v1');
  });

  it('returns no digest when the registry reports none', async () => {
    const { client } = setup((_method, _url, real) => real().then(() => new Response(null, { status: 201 })));

    expect(await client.putManifest(TARGET, 'v1', manifest, FOREVER)).toBeUndefined();
  });

  it('a refusal names the image under the reference and what the registry said', async () => {
    const { client } = setup(() => Promise.resolve(answer(400, {}, { errors: [{ code: 'TAG_INVALID', message: 'tag exists' }] })));

    const error = await rejection(client.putManifest(TARGET, 'v1', manifest, FOREVER));

    expect(error).toBeInstanceOf(RegistryPushError);
    expect(error.message).toBe(
      'target.example/mirror/app:v1: target.example refused the manifest target.example/mirror/app:v1 (HTTP 400; registry says "TAG_INVALID: tag exists")',
    );
    expect((error as RegistryPushError).registryCode).toBe('TAG_INVALID');
    expect(error.name).toBe('RegistryPushError');
  });
});
