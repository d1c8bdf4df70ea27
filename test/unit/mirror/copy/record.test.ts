import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRecord, parseRecord, RECORD_KEY_PREFIX, recordKey, repositoryArn, staleRecordKeys } from '../../../../src/mirror/copy/record.js';
import { TARGET_TAG_KINDS } from '../../../../src/mirror/core/plan.js';

/** ECR tag rules: keys at most 128 characters, values at most 256; letters, digits, spaces and `_ . : / = + - @`. */
const TAG_CHARACTERS = /^[A-Za-z0-9 _.:/=+\-@]*$/;

describe('Function: formatRecord / parseRecord', () => {
  it('round-trips every record, and what it writes is a valid ECR tag', () => {
    const digest = fc.option(
      fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 52 }), digest, fc.constantFrom(...TARGET_TAG_KINDS), (deadline, expectedDigest, targetTagKind) => {
        const record = { deadline, ...(expectedDigest !== undefined ? { expectedDigest } : {}), targetTagKind };
        const value = formatRecord(record);
        expect(value.length).toBeLessThanOrEqual(256);
        expect(value).toMatch(TAG_CHARACTERS);
        expect(parseRecord(value)).toEqual(record);
      }),
    );
    const key = recordKey('f'.repeat(64));
    expect(key.startsWith(RECORD_KEY_PREFIX)).toBe(true);
    expect(key.length).toBeLessThanOrEqual(128);
    expect(key).toMatch(TAG_CHARACTERS);
  });

  it('refuses anything else', () => {
    for (const value of [
      undefined,
      '',
      'deadline=1 digest=none',
      'deadline=x digest=none tag=source-tag',
      `deadline=1 digest=sha256:${'0'.repeat(63)} tag=source-tag`,
      'deadline=1 digest=none tag=other-kind',
      'deadline=1 digest=none tag=source-tag extra',
    ]) {
      expect(parseRecord(value)).toBeUndefined();
    }
  });
});

describe('Function: staleRecordKeys', () => {
  it('names the records whose deadline passed more than an hour ago, and nothing that is not a record', () => {
    const now = 10_000_000_000;
    const tags = {
      [recordKey('a'.repeat(64))]: formatRecord({ deadline: now - 3_600_001, targetTagKind: 'source-tag' }),
      [recordKey('b'.repeat(64))]: formatRecord({ deadline: now - 60_000, targetTagKind: 'source-tag' }),
      [recordKey('c'.repeat(64))]: 'not a record',
      ManagedBy: 'sysdig-image-fix',
    };
    expect(staleRecordKeys(tags, now).sort()).toEqual([recordKey('a'.repeat(64)), recordKey('c'.repeat(64))].sort());
  });

  it('keeps a record whose deadline passed exactly an hour ago', () => {
    const now = 10_000_000_000;
    const key = recordKey('d'.repeat(64));
    expect(staleRecordKeys({ [key]: formatRecord({ deadline: now - 3_600_000, targetTagKind: 'source-tag' }) }, now)).toEqual([]);
    expect(staleRecordKeys({ [key]: formatRecord({ deadline: now - 3_600_001, targetTagKind: 'source-tag' }) }, now)).toEqual([key]);
  });

  it('builds the repository ARN of the partition, region and account', () => {
    expect(repositoryArn({ partition: 'aws-cn', region: 'cn-north-1', accountId: '123456789012', urlSuffix: 'amazonaws.com.cn' }, 'p/x')).toBe(
      'arn:aws-cn:ecr:cn-north-1:123456789012:repository/p/x',
    );
  });
});
