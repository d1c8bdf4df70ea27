// The transform over real third-party templates (read-only test data beside the checkout).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { transform } from '../../../src/template/transform.js';
import type { JsonObject, TransformContext } from '../../../src/template/types.js';
import { haveTestData, REAL_TEMPLATES, REAL_TEMPLATES_DIR } from '../../support/test-data.js';
import { context, defaults, expectedMirrorId, expressionMirror, expectSuccess, imageOf, mirrorRef, mirrorsOf, withoutTransformChanges } from './fixtures.js';

function load(name: string): JsonObject {
  return parseCfnYaml(readFileSync(`${REAL_TEMPLATES_DIR}${name}`, 'utf8')) as JsonObject;
}

function transformed(name: string, ctx: TransformContext) {
  const input = load(name);
  const result = expectSuccess(transform(input, ctx, defaults()));
  // Whatever else happens: only sites and appended mirrors change, and a second run changes nothing.
  expect(withoutTransformChanges(result.fragment, input)).toBe(JSON.stringify(input));
  expect(expectSuccess(transform(result.fragment, ctx, defaults())).fragment).toEqual(result.fragment);
  return { input, ...result };
}

describe.skipIf(!haveTestData(REAL_TEMPLATES))('Function: transform over real templates', () => {
  describe.each([
    ['sysdig-instrumentation-5.0.1.yaml', '5.0.1'],
    ['sysdig-instrumentation-4.0.0.yaml', '4.0.0'],
  ])('%s', (file, version) => {
    const patcher = `quay.io/sysdig/serverless-patcher:${version}`;
    const tokyo = context({ region: 'ap-northeast-1', templateParameterValues: { SysdigOrchestratorAgentHost: 'orchestrator.internal' } });

    it('mirrors exactly the serverless patcher in ap-northeast-1, keeping its parameter as SourceImage', () => {
      const { fragment, sites } = transformed(file, tokyo);
      const id = expectedMirrorId({ Ref: 'SysdigServerlessPatcherImage' }, 'x86_64');
      // The parameter stays in use (cfn-lint W2001 otherwise), and the mirror function names the repository after
      // the value CloudFormation passes (RepositoryPrefix): a stack updated with another patcher version gets that
      // image's repository.
      expect(mirrorsOf(fragment)).toEqual(expressionMirror({ Ref: 'SysdigServerlessPatcherImage' }));
      expect(imageOf(fragment, 'ServerlessPatcherLambda')).toEqual(mirrorRef(id));
      expect(sites).toEqual([
        {
          logicalId: 'ServerlessPatcherLambda',
          resourceType: 'AWS::Lambda::Function',
          image: patcher,
          verdict: 'mirror',
          architecture: 'x86_64',
          mirrorLogicalId: id,
          parameters: ['SysdigServerlessPatcherImage'],
        },
      ]);
    });

    it('leaves the workload agent image (an environment variable) untouched', () => {
      const { fragment } = transformed(file, tokyo);
      const lambda = (fragment.Resources as JsonObject).ServerlessPatcherLambda as JsonObject;
      const variables = ((lambda.Properties as JsonObject).Environment as JsonObject).Variables as JsonObject;
      expect(variables.SYSDIG_WORKLOAD_AGENT_IMAGE).toEqual({ Ref: 'SysdigWorkloadAgentImage' });
    });

    it('keeps the template as is when the patcher parameter already names private ECR of the region', () => {
      const ecr = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/sysdig/serverless-patcher:${version}`;
      const ctx = context({ region: 'ap-northeast-1', templateParameterValues: { SysdigServerlessPatcherImage: ecr } });
      const { input, fragment, sites } = transformed(file, ctx);
      expect(fragment).toEqual(input);
      expect(sites.map((s) => [s.image, s.verdict])).toEqual([[ecr, 'keep']]);
    });
  });

  describe.each(['sysdig-orchestrator-agent-5.0.1.yaml', 'sysdig-orchestrator-agent-4.0.0.yaml', 'binxio-container-image-demo.yaml'])('%s', (file) => {
    it('has no Lambda image site and stays identical (ECS may pull from Quay)', () => {
      const { input, fragment, sites } = transformed(file, context({ region: 'eu-west-1' }));
      expect(sites).toEqual([]);
      expect(JSON.stringify(fragment)).toBe(JSON.stringify(input));
    });
  });

  describe('composex-docker-macro.yaml (SAM, image in eu-west-1 ECR)', () => {
    const source = '518078317392.dkr.ecr.eu-west-1.amazonaws.com/compose-x-macro:nightly';
    it('mirrors the SAM ImageUri outside eu-west-1', () => {
      const { fragment, sites } = transformed('composex-docker-macro.yaml', context({ region: 'us-east-1' }));
      const id = expectedMirrorId({ Ref: 'ECSComposeXMacroUri' }, 'x86_64');
      expect(Object.keys(mirrorsOf(fragment))).toEqual([id]);
      expect((mirrorsOf(fragment)[id]!.Properties as JsonObject).SourceImage).toEqual({ Ref: 'ECSComposeXMacroUri' });
      expect(imageOf(fragment, 'MacroLambdaFunction')).toEqual(mirrorRef(id));
      expect(sites.map((s) => [s.resourceType, s.verdict, s.image])).toEqual([['AWS::Serverless::Function', 'mirror', source]]);
    });
    it('keeps it in eu-west-1', () => {
      const { input, fragment } = transformed('composex-docker-macro.yaml', context({ region: 'eu-west-1' }));
      expect(fragment).toEqual(input);
    });
  });

  describe('binxio-cfn-container-image-provider.yaml (literal image in eu-central-1 ECR)', () => {
    it('mirrors it in us-east-1', () => {
      const { fragment } = transformed('binxio-cfn-container-image-provider.yaml', context({ region: 'us-east-1' }));
      const [mirror] = Object.values(mirrorsOf(fragment));
      expect((mirror!.Properties as JsonObject).RepositoryName).toBe('sysdig-image-fix/463637877380.dkr.ecr.eu-central-1.amazonaws.com/xebia/cfn-container-image-provider');
    });
    it('keeps it in eu-central-1', () => {
      const { input, fragment } = transformed('binxio-cfn-container-image-provider.yaml', context({ region: 'eu-central-1' }));
      expect(fragment).toEqual(input);
    });
  });
});
