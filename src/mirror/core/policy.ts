// The repository policy statement that lets Lambda functions of this account and region pull the
// mirrored image, merged into whatever policy the repository already has (other statements are kept).
import { canonicalJson as canonical, isPlainObject } from '../../values.js';
import { PolicyDocumentError } from './errors.js';
import type { MirrorLocation } from './config.js';

export const LAMBDA_PULL_SID = 'SysdigImageFixLambdaPull';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly [key: string]: unknown;
}

export function lambdaPullStatement(location: Pick<MirrorLocation, 'partition' | 'region' | 'accountId'>): PolicyStatement {
  return {
    Sid: LAMBDA_PULL_SID,
    Effect: 'Allow',
    Principal: { Service: 'lambda.amazonaws.com' },
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    Condition: {
      StringLike: { 'aws:sourceArn': `arn:${location.partition}:lambda:${location.region}:${location.accountId}:function:*` },
    },
  };
}

export interface MergedPolicy {
  readonly document: string;
  /** False when the existing policy already holds exactly this statement: nothing to write. */
  readonly changed: boolean;
}

/**
 * Puts `statement` into `existing` (a policy JSON text, or undefined when the repository has none),
 * replacing any statement with the same Sid and keeping all others in order.
 */
export function mergeStatement(existing: string | undefined, statement: PolicyStatement): MergedPolicy {
  let policy: Record<string, unknown> = { Version: '2012-10-17' };
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (error) {
      throw new PolicyDocumentError(`the repository policy is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!isPlainObject(parsed)) {
      throw new PolicyDocumentError('the repository policy is not a JSON object');
    }
    policy = parsed as Record<string, unknown>;
  }
  const raw = policy.Statement;
  const statements: unknown[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const isOurs = (s: unknown): boolean => isPlainObject(s) && s.Sid === statement.Sid;
  const ours = statements.filter(isOurs);
  const changed = !(ours.length === 1 && canonical(ours[0]) === canonical(statement));
  const merged: Record<string, unknown> = { Version: '2012-10-17', ...policy, Statement: [...statements.filter((s) => !isOurs(s)), statement] };
  return { document: JSON.stringify(merged), changed };
}
