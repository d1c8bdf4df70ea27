// Where the planned mirrors go in the output template.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectedMirrorId, expectSuccess, mirrorRef, stringParameter } from './fixtures.js';

const AGENT = 'quay.io/sysdig/agent:1';

describe('Placing mirrors', () => {
  it.each<[string, JsonObject]>([
    ['no Resources section', {}],
    ['an empty Resources section', { Resources: null }],
  ])('gives a template with %s the mirror its Outputs read (before: they read a mirror that was not in the template)', (_, resources) => {
    const input = {
      Parameters: { Agent: stringParameter(AGENT) },
      Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } },
      ...resources,
      Outputs: { AgentImage: { Value: { Ref: 'Agent' } } },
    } as JsonObject;
    const snapshot = JSON.stringify(input);
    const { fragment } = expectSuccess(transform(input, context(), defaults()));
    const id = expectedMirrorId({ Ref: 'Agent' }, 'all');
    expect((fragment.Outputs as JsonObject).AgentImage).toEqual({ Value: mirrorRef(id) });
    expect(Object.keys(fragment.Resources as JsonObject)).toEqual([id]);
    expect(((fragment.Resources as JsonObject)[id] as JsonObject).Type).toBe('Custom::ImageMirror');
    expect(JSON.stringify(input)).toBe(snapshot);
    // Transformed again, the same template.
    expect(JSON.stringify(expectSuccess(transform(fragment as Json, context(), defaults())).fragment)).toBe(JSON.stringify(fragment));
  });
});
