// The opt-in options (MirrorParameters, Ecs) over the real third-party templates (read-only test data beside the
// checkout; the options are added here, in code).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { stackParameterValues } from '../../../src/cli/emulate.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectedMirrorId, expectSuccess, imageOf, mirrorRef, mirrorsOf } from './fixtures.js';

const REAL_TEMPLATES = fileURLToPath(new URL('../../../../shared/real-templates/', import.meta.url));

function load(name: string, options?: JsonObject): JsonObject {
  const template = parseCfnYaml(readFileSync(`${REAL_TEMPLATES}${name}`, 'utf8')) as JsonObject;
  if (options !== undefined) template.Metadata = { ...((template.Metadata as JsonObject | undefined) ?? {}), SysdigImageFix: options };
  return template;
}

const tokyo = (template: JsonObject) => context({ region: 'ap-northeast-1', templateParameterValues: stackParameterValues(template, new Map()).values });

describe('Function: transform, opt-in options over real templates', () => {
  describe.each(readdirSync(REAL_TEMPLATES).filter((file) => file.endsWith('.yaml')))('%s', (file) => {
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
    const input = load('sysdig-instrumentation-5.0.1.yaml', { MirrorParameters: ['SysdigWorkloadAgentImage'] });
    const result = transform(input, tokyo(input), defaults());
    const { fragment, sites } = expectSuccess(result);
    const patcherMirror = expectedMirrorId({ Ref: 'SysdigServerlessPatcherImage' }, 'x86_64');
    const agentMirror = expectedMirrorId({ Ref: 'SysdigWorkloadAgentImage' }, 'all');
    const resources = fragment.Resources as JsonObject;

    it('mirrors the patcher for x86_64 as without the option, and the workload agent as published', () => {
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
      const patcher = resources.ServerlessPatcherLambda as JsonObject;
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
      expect(JSON.stringify(expectSuccess(transform(fragment, tokyo(input), defaults())).fragment)).toBe(JSON.stringify(fragment));
    });
  });

  describe('sysdig-orchestrator-agent-5.0.1.yaml with Ecs: true', () => {
    const input = load('sysdig-orchestrator-agent-5.0.1.yaml', { Ecs: true });
    const result = transform(input, tokyo(input), defaults());
    const { fragment, sites } = expectSuccess(result);
    const mirror = expectedMirrorId({ Ref: 'SysdigOrchestratorAgentImage' }, 'x86_64');
    const containers = (((fragment.Resources as JsonObject).SysdigOrchestratorAgent as JsonObject).Properties as JsonObject).ContainerDefinitions as Json[];

    it('mirrors the task image for X86_64 (no RuntimePlatform) and rewrites it', () => {
      expect(Object.keys(mirrorsOf(fragment))).toEqual([mirror]);
      expect((containers[0] as JsonObject).Image).toEqual(mirrorRef(mirror));
      expect(mirrorsOf(fragment)[mirror]!.Properties).toMatchObject({ SourceImage: { Ref: 'SysdigOrchestratorAgentImage' }, Architecture: 'x86_64' });
      expect(sites.map((site) => [site.location, site.verdict, site.image])).toEqual([
        ['SysdigOrchestratorAgent.ContainerDefinitions[0].Image', 'mirror', 'quay.io/sysdig/orchestrator-agent:5.0.1'],
      ]);
    });

    it('does not warn: the execution role has the managed AmazonECSTaskExecutionRolePolicy', () => {
      expect(result.warnings).toEqual([]);
    });

    it('warns when that role loses the managed policy', () => {
      const stripped = structuredClone(input);
      const role = (stripped.Resources as JsonObject).SysdigOrchestratorAgentExecutionRole as JsonObject;
      delete (role.Properties as JsonObject).ManagedPolicyArns;
      const warned = transform(stripped, tokyo(stripped), defaults());
      expect(warned.ok).toBe(true);
      expect(warned.warnings.map((warning) => warning.logicalId)).toEqual(['SysdigOrchestratorAgent']);
      expect(warned.warnings[0]!.message).toContain('execution role SysdigOrchestratorAgentExecutionRole grants no ECR pull permission');
    });

    it('is idempotent', () => {
      expect(JSON.stringify(expectSuccess(transform(fragment, tokyo(input), defaults())).fragment)).toBe(JSON.stringify(fragment));
    });
  });
});
