// Pushing to a registry as containers/image (skopeo's library, docker/docker_image_dest.go) does, which is what
// ECR's registry API accepts: HEAD a blob first (ECR: BatchCheckLayerAvailability) and skip it when present; else
// POST /blobs/uploads/ (202 + Location), ONE streamed PATCH with the whole blob (ECR answers 201 where the spec says
// 202; any 2xx with a Location goes on), then PUT <location>?digest=<digest> with no body (201). Never several
// PATCHes: ECR refuses parts under 5 MiB but the last (LayerPartTooSmallException) and has been seen to drop the
// bodies of later PATCHes (aws/containers-roadmap#2831). Manifests: PUT /manifests/<tag or digest> with the exact
// bytes and their media type as Content-Type. The blob streams through a verifying pass (verify.ts), so nothing is
// ever held whole and no upload completes with bytes whose digest and size were not checked.
import type { ImageReference } from '../../reference/index.js';
import type { CallContext, Timer } from '../core/budget.js';
import type { RegistryTarget } from './auth.js';
import { errorForResponse, readRegistryAnswer } from './classify.js';
import { RegistryError, RegistryProtocolError, describeImage } from './errors.js';
import type { HttpResponse } from './http.js';
import type { BlobDescriptor } from './media.js';
import { isSuccess, type RegistrySession } from './session.js';
import { BlobMismatch, TransferStalled, unverifiableDigest, VerifyingStream } from './verify.js';

export interface StreamOptions {
  /** No byte for this long mid-blob fails the transfer. */
  readonly idleMs: number;
  readonly timer: (ms: number) => Timer;
  readonly now: () => number;
}

/** The target registry refused a push step; `status`/`registryCode` say how (e.g. 400 TAG_INVALID). */
export class RegistryPushError extends RegistryError {
  override readonly name: string = 'RegistryPushError';
}

/** A blob from the source that is not what its descriptor says: refused, nothing is tagged. */
export class BlobDigestError extends RegistryProtocolError {
  override readonly name: string = 'BlobDigestError';
}

/** A blob transfer in which no byte moved for as long as one request may take (worth another try). */
export class BlobStalledError extends RegistryError {
  override readonly name: string = 'BlobStalledError';
}

function pushRefused(session: RegistrySession, target: RegistryTarget, response: HttpResponse, what: string): RegistryPushError {
  const answer = readRegistryAnswer(response, session.redactor);
  return new RegistryPushError(
    {
      ...target,
      status: response.status,
      ...(answer.codes[0] !== undefined ? { registryCode: answer.codes[0] } : {}),
      ...(answer.message !== undefined ? { registryMessage: answer.message } : {}),
    },
    `${target.registry} refused ${what}`,
    response.status === 401 || response.status === 403
      ? `The mirror function's role must allow pushing to ${target.repository} (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchCheckLayerAvailability)`
      : undefined,
  );
}

/** The upload location a registry answered, resolved against the request; it must stay on the registry's origin. */
function uploadLocation(target: RegistryTarget, response: HttpResponse, step: string): URL {
  const location = response.headers.get('location');
  if (location === null) throw new RegistryProtocolError(target, `${target.registry} answered ${step} without an upload location`);
  const url = new URL(location, response.url);
  if (url.origin !== new URL(target.baseUrl).origin) {
    throw new RegistryProtocolError(target, `${target.registry} named an upload location on another origin (${url.origin}); refusing to send it the image`);
  }
  return url;
}

/** Size of blob `digest` in the repository, or undefined when it is not there. */
export async function blobSize(session: RegistrySession, ref: ImageReference, digest: string, call: CallContext): Promise<number | undefined> {
  const target = session.target(ref);
  const { response, credentialsUsed } = await session.request(target, { method: 'HEAD', path: `blobs/${digest}`, maxBytes: 0, access: 'push' }, call);
  if (response.status === 404) return undefined;
  if (!isSuccess(response)) throw errorForResponse(target, response, session.redactor, { credentialsUsed, what: `blob ${digest}`, notFoundMeansNoImage: false });
  const length = Number(response.headers.get('content-length'));
  return Number.isSafeInteger(length) && length >= 0 ? length : 0;
}

/** POST, one PATCH with the whole body, PUT with the digest. */
export async function uploadBlob(
  session: RegistrySession,
  ref: ImageReference,
  blob: BlobDescriptor,
  body: Uint8Array | AsyncIterable<Uint8Array>,
  call: CallContext,
): Promise<void> {
  const target = session.target(ref);
  const what = `the upload of blob ${blob.digest}`;
  const started = await session.request(target, { method: 'POST', path: 'blobs/uploads/', maxBytes: 64 * 1024, access: 'push' }, call);
  if (started.response.status !== 202) throw pushRefused(session, target, started.response, what);
  const patchAt = uploadLocation(target, started.response, 'the upload start');
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) };
  const sent = await session.request(target, { method: 'PATCH', url: patchAt.href, headers, body, maxBytes: 64 * 1024, access: 'push' }, call);
  if (!isSuccess(sent.response)) throw pushRefused(session, target, sent.response, what);
  const putAt = uploadLocation(target, sent.response, 'the upload');
  putAt.searchParams.set('digest', blob.digest);
  const done = await session.request(
    target,
    { method: 'PUT', url: putAt.href, headers: { 'content-length': '0' }, body: new Uint8Array(), maxBytes: 64 * 1024, access: 'push' },
    call,
  );
  if (done.response.status !== 201) throw pushRefused(session, target, done.response, what);
}

/** The blob from the source, streamed through its check into the target. */
export async function copyBlob(
  session: RegistrySession,
  from: ImageReference,
  to: ImageReference,
  blob: BlobDescriptor,
  call: CallContext,
  options: StreamOptions,
): Promise<void> {
  const source = session.target(from);
  const unsupported = unverifiableDigest(blob.digest);
  if (unsupported !== undefined) throw new RegistryProtocolError(source, `blob ${blob.digest.slice(0, 100)} cannot be checked: ${unsupported}`);
  const path = `blobs/${blob.digest}`;
  const { response, credentialsUsed } = await session.request(source, { method: 'GET', path, headers: { accept: '*/*' }, maxBytes: 64 * 1024, stream: true }, call);
  if (!isSuccess(response) || response.stream === undefined || response.stream === null) {
    if (response.status === 404) {
      throw new RegistryProtocolError(
        { ...source, status: 404 },
        `the manifest references blob ${blob.digest}, which ${source.registry} does not have (the image is incomplete)`,
      );
    }
    throw errorForResponse(source, response, session.redactor, { credentialsUsed, what: `blob ${blob.digest}`, notFoundMeansNoImage: false });
  }
  // A stalled pass ends the upload too: it may be stuck writing to a target that stopped taking.
  const stalled = new AbortController();
  const verifier = new VerifyingStream(response.stream, { ...options, digest: blob.digest, size: blob.size, onStall: () => stalled.abort() });
  const upload: CallContext = { signal: AbortSignal.any([call.signal, stalled.signal]), remainingMs: () => call.remainingMs() };
  try {
    await uploadBlob(session, to, blob, verifier.body, upload);
  } catch (error) {
    throw sourceFailure(source, session.target(to).registry, verifier, blob) ?? error;
  } finally {
    verifier.dispose();
    // The upload may have failed before it read the body: let go of the download too.
    await response.stream.cancel().catch(() => undefined);
  }
  // The registry completed the upload; the check must have passed too (it runs before the body ends).
  const failure = sourceFailure(source, session.target(to).registry, verifier, blob);
  if (failure !== undefined) throw failure;
}

/** The transfer's own verdict on a failed copy: the source's bytes were refused, or nothing moved for too long. */
function sourceFailure(source: RegistryTarget, targetRegistry: string, verifier: VerifyingStream, blob: BlobDescriptor): Error | undefined {
  const failure = verifier.failure;
  const context = { ...source, reference: blob.digest };
  if (failure instanceof BlobMismatch) {
    return new BlobDigestError(context, `blob ${blob.digest} from ${source.registry} is not what the manifest says (${failure.message}); refusing it, so nothing is tagged`, {
      cause: failure,
    });
  }
  if (failure instanceof TransferStalled) {
    return new BlobStalledError(
      context,
      `the transfer of blob ${blob.digest} from ${source.registry} to ${targetRegistry} stalled after ${verifier.received} of ${blob.size} bytes: ${failure.message}`,
      'The source registry or the network path is too slow for the mirror function',
      { cause: failure },
    );
  }
  return undefined;
}

/** PUTs the exact manifest bytes under `reference` (a tag or their digest); resolves to the digest the registry reports. */
export async function putManifest(
  session: RegistrySession,
  ref: ImageReference,
  reference: string,
  manifest: { readonly bytes: Uint8Array; readonly mediaType: string },
  call: CallContext,
): Promise<string | undefined> {
  const target = { ...session.target(ref), reference };
  const path = `manifests/${reference}`;
  const headers = { 'content-type': manifest.mediaType };
  const { response } = await session.request(target, { method: 'PUT', path, headers, body: manifest.bytes, maxBytes: 64 * 1024, access: 'push' }, call);
  if (!isSuccess(response)) throw pushRefused(session, target, response, `the manifest ${describeImage(target)}`);
  return response.headers.get('docker-content-digest') ?? undefined;
}
