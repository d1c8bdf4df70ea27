// The opt-in options (MirrorParameters, Ecs) over the real third-party templates (read-only test data beside the
// checkout; the options are added here, in code).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { stackParameterValues } from '../../../src/cli/emulate.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { haveTestData, REAL_TEMPLATES, REAL_TEMPLATES_DIR } from '../../support/test-data.js';
import { context, defaults, expectedMirrorId, expectSuccess, imageOf, mirrorRef, mirrorsOf } from './fixtures.js';

const haveTemplates = haveTestData(REAL_TEMPLATES);

function load(name: string, options?: JsonObject): JsonObject {
  const template = parseCfnYaml(readFileSync(`${REAL_TEMPLATES_DIR}${name}`, 'utf8')) as JsonObject;
  if (options !== undefined) template.Metadata = { ...((template.Metadata as JsonObject | undefined) ?? {}), SysdigImageFix: options };
  return template;
}

/**
 * The transform of a real template with `options`, made when a test first asks and kept: never while the tests are
 * collected, which happens even when the real templates are missing and the suite is skipped.
 */
function transformedOnce(name: string, options: JsonObject) {
  let made: ({ input: JsonObject; result: ReturnType<typeof transform> } & ReturnType<typeof expectSuccess>) | undefined;
  return () => {
    if (made === undefined) {
      const input = load(name, options);
      const result = transform(input, tokyo(input), defaults());
      made = { input, result, ...expectSuccess(result) };
    }
    return made;
  };
}

const tokyo = (template: JsonObject) => context({ region: 'ap-northeast-1', templateParameterValues: stackParameterValues(template, new Map()).values });

describe.skipIf(!haveTemplates)('Function: transform, opt-in options over real templates', () => {
  describe.each(haveTemplates ? readdirSync(REAL_TEMPLATES_DIR).filter((file) => file.endsWith('.yaml')) : [])('%s', (file) => {
    it.each(['ap-northeast-1', 'us-east-1', 'eu-west-1'])('options that are off change nothing, byte for byte (%s)', (region) => {
      const plain = load(file);
      const off = load(file, { Ecs: false, MirrorParameters: [] });
      const ctx = context({ region, templateParameterValues: stackParameterValues(plain, new Map()).values });
      const without = expectSuccess(transform(plain, ctx, defaults())).fragment;
      const withOff = structuredClone(expectSuccess(transform(off, ctx, defaults())).fragment);
      const metadata = withOff.Metadata as JsonObject;
      delete metadata.SysdigImageFix;
      if (Object.keys(metadata).length === 0) delete withOff.Metadata;
      expect(JSON.stringify(withOff)).toBe(JSON.stringify(without));
    });
  });

  describe('sysdig-instrumentation-5.0.1.yaml with MirrorParameters: [SysdigWorkloadAgentImage]', () => {
    const run = transformedOnce('sysdig-instrumentation-5.0.1.yaml', { MirrorParameters: ['SysdigWorkloadAgentImage'] });
    const patcherMirror = expectedMirrorId({ Ref: 'SysdigServerlessPatcherImage' }, 'x86_64');
    const agentMirror = expectedMirrorId({ Ref: 'SysdigWorkloadAgentImage' }, 'all');

    it('mirrors the patcher for x86_64 as without the option, and the workload agent as published', () => {
      const { fragment, sites, result } = run();
      expect(Object.keys(mirrorsOf(fragment))).toEqual([patcherMirror, agentMirror]);
      expect(imageOf(fragment, 'ServerlessPatcherLambda')).toEqual(mirrorRef(patcherMirror));
      expect(mirrorsOf(fragment)[agentMirror]!.Properties).toEqual({
        ServiceToken: defaults().mirrorFunctionArn,
        ServiceTimeout: 3600,
        SourceImage: { Ref: 'SysdigWorkloadAgentImage' },
        Platforms: 'all',
        RepositoryPrefix: 'sysdig-image-fix',
      });
      expect(mirrorsOf(fragment)[agentMirror]!.Condition).toBeUndefined();
      expect(sites.map((site) => [site.location ?? site.logicalId, site.verdict, site.architecture, site.image])).toEqual([
        ['ServerlessPatcherLambda', 'mirror', 'x86_64', 'quay.io/sysdig/serverless-patcher:5.0.1'],
        ['Parameters.SysdigWorkloadAgentImage', 'mirror', 'all', 'quay.io/sysdig/workload-agent:5.0.1'],
      ]);
      expect(result.warnings).toEqual([]);
    });

    it('SYSDIG_WORKLOAD_AGENT_IMAGE reads the agent mirror; nothing else changes', () => {
      const { input, fragment } = run();
      const patcher = (fragment.Resources as JsonObject).ServerlessPatcherLambda as JsonObject;
      const variables = ((patcher.Properties as JsonObject).Environment as JsonObject).Variables as JsonObject;
      expect(variables.SYSDIG_WORKLOAD_AGENT_IMAGE).toEqual(mirrorRef(agentMirror));
      // Undo the two rewrites and drop the mirrors: what is left is the input.
      const undone = structuredClone(fragment) as JsonObject;
      const undoneResources = undone.Resources as JsonObject;
      for (const id of [patcherMirror, agentMirror]) delete undoneResources[id];
      const undonePatcher = (undoneResources.ServerlessPatcherLambda as JsonObject).Properties as JsonObject;
      (undonePatcher.Code as JsonObject).ImageUri = { Ref: 'SysdigServerlessPatcherImage' };
      ((undonePatcher.Environment as JsonObject).Variables as JsonObject).SYSDIG_WORKLOAD_AGENT_IMAGE = { Ref: 'SysdigWorkloadAgentImage' };
      expect(JSON.stringify(undone)).toBe(JSON.stringify(input));
    });

    it('is idempotent', () => {
      const { input, fragment } = run();
      expect(JSON.stringify(expectSuccess(transform(fragment, tokyo(input), defaults())).fragment)).toBe(JSON.stringify(fragment));
    });
  });

  describe('sysdig-orchestrator-agent-5.0.1.yaml with Ecs: true', () => {
    const run = transformedOnce('sysdig-orchestrator-agent-5.0.1.yaml', { Ecs: true });
    const mirror = expectedMirrorId({ Ref: 'SysdigOrchestratorAgentImage' }, 'x86_64');

    it('mirrors the task image for X86_64 (no RuntimePlatform) and rewrites it', () => {
      const { fragment, sites } = run();
      const containers = (((fragment.Resources as JsonObject).SysdigOrchestratorAgent as JsonObject).Properties as JsonObject).ContainerDefinitions as Json[];
      expect(Object.keys(mirrorsOf(fragment))).toEqual([mirror]);
      expect((containers[0] as JsonObject).Image).toEqual(mirrorRef(mirror));
      expect(mirrorsOf(fragment)[mirror]!.Properties).toMatchObject({ SourceImage: { Ref: 'SysdigOrchestratorAgentImage' }, Architecture: 'x86_64' });
      expect(sites.map((site) => [site.location, site.verdict, site.image])).toEqual([
        ['SysdigOrchestratorAgent.ContainerDefinitions[0].Image', 'mirror', 'quay.io/sysdig/orchestrator-agent:5.0.1'],
      ]);
    });

    it('does not warn: the execution role has the managed AmazonECSTaskExecutionRolePolicy', () => {
      expect(run().result.warnings).toEqual([]);
    });

    it('warns when that role loses the managed policy', () => {
      const stripped = structuredClone(run().input);
      const role = (stripped.Resources as JsonObject).SysdigOrchestratorAgentExecutionRole as JsonObject;
      delete (role.Properties as JsonObject).ManagedPolicyArns;
      const warned = transform(stripped, tokyo(stripped), defaults());
      expect(warned.ok).toBe(true);
      expect(warned.warnings.map((warning) => warning.logicalId)).toEqual(['SysdigOrchestratorAgent']);
      expect(warned.warnings[0]!.message).toContain('execution role SysdigOrchestratorAgentExecutionRole grants no ECR pull permission');
    });

    it('is idempotent', () => {
      const { input, fragment } = run();
      expect(JSON.stringify(expectSuccess(transform(fragment, tokyo(input), defaults())).fragment)).toBe(JSON.stringify(fragment));
    });
  });
});
