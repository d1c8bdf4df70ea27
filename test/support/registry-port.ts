// A RegistryPort stand-in for tests that only read (resolve digests): the copy methods of the port fail loudly,
// so a test that reaches them by mistake says so instead of passing on a silent stub.
import type { RegistryPort } from '../../src/mirror/ports/types.js';

type ReadPart = Pick<RegistryPort, 'resolvePlatform' | 'headManifest' | 'resolvePublished' | 'copySourceRefusal'>;

function notSimulated(method: string): () => Promise<never> {
  return async () => {
    throw new Error(`RegistryPort.${method} is not simulated by this test's registry stand-in`);
  };
}

export function readOnlyRegistry(read: ReadPart): RegistryPort {
  return {
    ...read,
    getManifest: notSimulated('getManifest'),
    readBlob: notSimulated('readBlob'),
    blobSize: notSimulated('blobSize'),
    copyBlob: notSimulated('copyBlob'),
    uploadBlob: notSimulated('uploadBlob'),
    putManifest: notSimulated('putManifest'),
  };
}
