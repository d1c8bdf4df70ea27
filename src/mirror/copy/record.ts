// What vouches for a copy the function engine hands over between invocations: a tag on the target ECR repository,
// written by this function when the copy starts and removed when it is answered. Its key holds the SHA-256 of the
// whole request (presigned ResponseURL included: nobody without that URL can name it); its value the resource's
// deadline, the digest the function resolved and how the target tag was chosen. Only principals allowed to tag the
// prefix's repositories (this function's role, administrators) can write one, as only they could start a build in
// the CodeBuild engine's project. A continuation is acted on only when the record names exactly its request, and
// everything it acts on comes from the request (re-planned with this function's configuration) and the record.
import { isImageDigest } from '../../reference/index.js';
import type { MirrorLocation } from '../core/config.js';
import { TARGET_TAG_KINDS, type TargetTagKind } from '../core/plan.js';

/** ECR tag keys may hold letters, digits, spaces and `_ . : / = + - @`, up to 128 characters (here 86). */
export const RECORD_KEY_PREFIX = 'sysdig-image-fix:copy:';

export interface CopyRecord {
  /** Epoch milliseconds: the resource's deadline, fixed when the request first arrived. */
  readonly deadline: number;
  readonly expectedDigest?: string;
  readonly targetTagKind: TargetTagKind;
}

/** The tag key of the copy for the request with this {@link requestDigest}. */
export function recordKey(requestDigestHex: string): string {
  return `${RECORD_KEY_PREFIX}${requestDigestHex}`;
}

/** `deadline=<ms> digest=<sha256:...|none> tag=<kind>`: tag values may not hold JSON's braces or quotes (at most 256 characters). */
export function formatRecord(record: CopyRecord): string {
  return `deadline=${record.deadline} digest=${record.expectedDigest ?? 'none'} tag=${record.targetTagKind}`;
}

const RECORD = /^deadline=(\d{1,16}) digest=(none|sha256:[0-9a-f]{64}) tag=([a-z-]{1,32})$/;

export function parseRecord(value: string | undefined): CopyRecord | undefined {
  const match = RECORD.exec(value ?? '');
  if (match === null) return undefined;
  const [, deadline, digest, kind] = match as unknown as [string, string, string, string];
  if (!(TARGET_TAG_KINDS as readonly string[]).includes(kind)) return undefined;
  if (digest !== 'none' && !isImageDigest(digest)) return undefined;
  return { deadline: Number(deadline), ...(digest !== 'none' ? { expectedDigest: digest } : {}), targetTagKind: kind as TargetTagKind };
}

export function repositoryArn(location: MirrorLocation, repositoryName: string): string {
  return `arn:${location.partition}:ecr:${location.region}:${location.accountId}:repository/${repositoryName}`;
}

/** Records whose deadline passed more than an hour ago: copies that ended without removing theirs (the invocation died). */
export function staleRecordKeys(tags: Readonly<Record<string, string>>, now: number): string[] {
  return Object.entries(tags)
    .filter(([key, value]) => key.startsWith(RECORD_KEY_PREFIX) && (parseRecord(value)?.deadline ?? 0) < now - 3_600_000)
    .map(([key]) => key);
}
