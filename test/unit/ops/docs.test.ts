// docs/operate.md promises the IAM actions each command needs: it names every action the ops port calls, and the
// delete action only for prune.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPS_ACTIONS } from '../../../src/ops/types.js';

const OPERATE = readFileSync(new URL('../../../docs/operate.md', import.meta.url), 'utf8');

describe('docs/operate.md', () => {
  it('names every IAM action the ops port uses, in its table and in the example policy', () => {
    const table = OPERATE.slice(OPERATE.indexOf('| Call | IAM action |'), OPERATE.indexOf('`mirrors` only reads.'));
    const policy = OPERATE.slice(OPERATE.indexOf('```json'), OPERATE.indexOf('```', OPERATE.indexOf('```json') + 7));
    for (const action of Object.values(OPS_ACTIONS)) {
      expect(table, action).toContain(`| \`${action}\` |`);
      expect(policy, action).toContain(`"${action}"`);
    }
    expect(table).toMatch(/\| `ecr:BatchDeleteImage` \| no \| with `--yes` \|/);
  });
});
