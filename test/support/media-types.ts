// Media types of OCI and Docker (schema 2) images, as the test generator writes them and the test reader expects.

/** OCI and Docker media types used by the test image generator and reader. */
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Layer of a buildx provenance/SBOM attestation manifest. */
  InToto: 'application/vnd.in-toto+json',
} as const;

/** Single-platform manifest media types. */
export const SINGLE_MANIFEST_TYPES: readonly string[] = [MediaType.OciManifest, MediaType.DockerManifest];
/** Multi-platform (index / manifest list) media types. */
export const INDEX_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];

/**
 * Accept list for manifest GETs. docker-registry answers an OCI index with 404 unless its type is accepted, and
 * silently substitutes the amd64 child for a Docker list, so every type is always sent and the answer checked.
 */
export const MANIFEST_ACCEPT: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList, MediaType.OciManifest, MediaType.DockerManifest];

/** Annotation keys buildx puts on the attestation entries of an index. */
export const AttestationAnnotation = {
  ReferenceType: 'vnd.docker.reference.type',
  ReferenceDigest: 'vnd.docker.reference.digest',
  /** Value of ReferenceType for attestation manifests. */
  AttestationManifest: 'attestation-manifest',
  PredicateType: 'in-toto.io/predicate-type',
} as const;
