// The ECR data plane in front of the target docker-registry. Real ECR is one store behind two APIs; locally the
// registry (data plane: skopeo pushes there) and moto (control plane: the mirror function's DescribeImages) are two
// processes, so this proxy keeps them one: a push to a repository moto does not know is refused as ECR refuses it
// (NAME_UNKNOWN), and every stored manifest is registered in moto with PutImage (digest passed explicitly: moto
// computes it wrongly); an IMMUTABLE repository refuses any push to an existing tag (even of the same manifest), as
// ECR does (ImageTagAlreadyExistsException). It also counts pushed blob bytes (for the copy benchmark) and can fail
// blob uploads on purpose (a copy that breaks mid-way).
import { DescribeImagesCommand, DescribeRepositoriesCommand, PutImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { readBody, startHttpServer, type LocalHttpServer } from './http.js';

/** A blob upload failure to inject. */
export interface UploadFault {
  /** Only pushes to this repository (default: any). */
  readonly repository?: string;
  /** Let this many blob uploads complete first (so the copy is really mid-way). */
  readonly afterBlobs: number;
  /** Only the completing PUT of this blob (its bytes were sent: the copy is mid-way whatever the order of uploads). */
  readonly digest?: string;
  /** HTTP status and registry error code/message of the refusal. */
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface EcrProxy extends LocalHttpServer {
  /** Blob bytes received per repository (uploads that completed). */
  pushedBlobBytes(repository?: string): number;
  /** Manifests registered in moto, oldest first. */
  registered(): ReadonlyArray<{ repository: string; reference: string; digest: string }>;
  /** Fails blob uploads as described until the returned function is called. */
  injectUploadFault(fault: UploadFault): () => void;
  /** Sends traffic to another registry from now on (the copy benchmark gives each run an empty one). */
  retarget(backendUrl: string): void;
}

const PATH = /^\/v2\/(.+?)\/(manifests|blobs)\/(.*)$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function registryError(status: number, code: string, message: string): { status: number; body: string } {
  return { status, body: JSON.stringify({ errors: [{ code, message, detail: null }] }) };
}

export async function startEcrProxy(options: { backendUrl: string; ecr: ECRClient; registryId: string }): Promise<EcrProxy> {
  let backend = new URL(options.backendUrl);
  const bytesByRepository = new Map<string, number>();
  const uploadsByRepository = new Map<string, number>();
  const registered: Array<{ repository: string; reference: string; digest: string }> = [];
  let faults: UploadFault[] = [];

  /** The repository's tag mutability, or undefined when ECR has no such repository. */
  const repositoryMutability = async (name: string): Promise<string | undefined> => {
    try {
      const answer = await options.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
      return answer.repositories?.[0]?.imageTagMutability ?? 'MUTABLE';
    } catch (error) {
      if ((error as { name?: string }).name === 'RepositoryNotFoundException') return undefined;
      throw error;
    }
  };

  /** The digest a tag points at in ECR, or undefined. */
  const taggedDigest = async (name: string, tag: string): Promise<string | undefined> => {
    try {
      const answer = await options.ecr.send(new DescribeImagesCommand({ repositoryName: name, imageIds: [{ imageTag: tag }] }));
      return answer.imageDetails?.[0]?.imageDigest;
    } catch (error) {
      if ((error as { name?: string }).name === 'ImageNotFoundException') return undefined;
      throw error;
    }
  };

  const forward = (incoming: IncomingMessage, body: Buffer | undefined): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: backend.hostname, port: backend.port, method: incoming.method, path: incoming.url, headers: forwardHeaders(incoming.headers) },
        resolve,
      );
      outgoing.on('error', reject);
      if (body !== undefined) outgoing.end(body);
      else incoming.pipe(outgoing);
    });

  const server = await startHttpServer('ECR proxy', async (request, response) => {
    const match = PATH.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
    const repository = match?.[1];
    const kind = match?.[2];
    const reference = decodeURIComponent(match?.[3] ?? '');
    const isWrite = request.method === 'PUT' || request.method === 'POST' || request.method === 'PATCH';
    const refuse = (error: { status: number; body: string }): void => {
      request.resume();
      response.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'docker-distribution-api-version': 'registry/2.0' });
      response.end(error.body);
    };

    const isManifestPut = kind === 'manifests' && request.method === 'PUT';
    const body = isManifestPut ? await readBody(request) : undefined;
    if (repository !== undefined && isWrite && request.headers.authorization !== undefined) {
      const mutability = await repositoryMutability(repository);
      if (mutability === undefined) {
        return refuse(registryError(404, 'NAME_UNKNOWN', `The repository with name '${repository}' does not exist in the registry with id '${options.registryId}'`));
      }
      // ECR refuses any push to an existing tag of an IMMUTABLE repository, even of the very same manifest.
      if (isManifestPut && mutability === 'IMMUTABLE' && !DIGEST.test(reference)) {
        if ((await taggedDigest(repository, reference)) !== undefined) {
          return refuse(
            registryError(
              400,
              'TAG_INVALID',
              `The image tag '${reference}' already exists in the '${repository}' repository and cannot be overwritten because the repository is immutable.`,
            ),
          );
        }
      }
      const completingBlob = kind === 'blobs' && request.method === 'PUT' && reference.startsWith('uploads/');
      const startingBlob = kind === 'blobs' && request.method === 'POST';
      if (completingBlob || startingBlob) {
        const uploading = completingBlob ? new URL(request.url ?? '/', 'http://localhost').searchParams.get('digest') : undefined;
        const fault = faults.find(
          (f) =>
            (f.repository === undefined || f.repository === repository) &&
            (uploadsByRepository.get(repository) ?? 0) >= f.afterBlobs &&
            (f.digest === undefined || f.digest === uploading),
        );
        if (fault !== undefined) return refuse(registryError(fault.status, fault.code, fault.message));
      }
    }

    let received = 0;
    if (body === undefined) request.on('data', (chunk: Buffer) => (received += chunk.length));
    const answer = await forward(request, body);

    if (repository !== undefined && kind === 'blobs' && (request.method === 'PATCH' || request.method === 'PUT')) {
      bytesByRepository.set(repository, (bytesByRepository.get(repository) ?? 0) + received);
      if (request.method === 'PUT' && answer.statusCode === 201) uploadsByRepository.set(repository, (uploadsByRepository.get(repository) ?? 0) + 1);
    }
    if (isManifestPut && answer.statusCode === 201 && repository !== undefined) {
      const digest = String(answer.headers['docker-content-digest'] ?? '');
      if (DIGEST.test(digest)) {
        try {
          await options.ecr.send(
            new PutImageCommand({
              repositoryName: repository,
              imageManifest: body!.toString('utf8'),
              imageManifestMediaType: String(request.headers['content-type'] ?? '')
                .split(';')[0]!
                .trim(),
              imageDigest: digest,
              ...(DIGEST.test(reference) ? {} : { imageTag: reference }),
            }),
          );
        } catch (error) {
          // The same manifest under the same name again: ECR's data plane accepts that push (MUTABLE repository),
          // and moto already has the image.
          if ((error as { name?: string }).name !== 'ImageAlreadyExistsException') throw error;
        }
        registered.push({ repository, reference, digest });
      }
    }
    response.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
    answer.pipe(response);
  });

  return {
    ...server,
    pushedBlobBytes: (repository) => (repository === undefined ? [...bytesByRepository.values()].reduce((a, b) => a + b, 0) : (bytesByRepository.get(repository) ?? 0)),
    registered: () => [...registered],
    retarget(backendUrl) {
      backend = new URL(backendUrl);
    },
    injectUploadFault(fault) {
      faults.push(fault);
      return () => {
        faults = faults.filter((f) => f !== fault);
      };
    },
  };
}
