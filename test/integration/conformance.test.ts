// Real third-party templates (../shared/real-templates, read-only test data) through the macro
// handler as CloudFormation would run it, with cfn-lint on every output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import { reassembleTemplate, splitTransforms, stackParameterValues } from '../../src/cli/emulate.js';
import { createMacroHandler } from '../../src/macro/handler.js';
import type { JsonObject } from '../../src/template/types.js';
import { findingKey, lintTemplates, type LintFinding } from '../support/cfn-lint.js';
import { haveTestData, REAL_TEMPLATES, REAL_TEMPLATES_DIR } from '../support/test-data.js';
import { haveTools, TOOLS } from '../support/tools.js';

const ACCOUNT = '123456789012';

const haveTemplates = haveTestData(REAL_TEMPLATES);

interface Case {
  readonly file: string;
  /** Region the template is deployed to in this scenario. */
  readonly region: string;
  /** Findings cfn-lint already reports for the upstream input, by rule and path, with the reason. */
  readonly preexisting: Readonly<Record<string, string>>;
  /** Fix applied to the input before anything else (named, with its reason), or none. */
  readonly inputFix?: { readonly reason: string; readonly apply: (text: string) => string };
  /** Template `Metadata.SysdigImageFix` added to the input (the opt-in options), or none. */
  readonly options?: JsonObject;
}

const ORCHESTRATOR_PREEXISTING = {
  'W3005 Resources/SysdigOrchestratorAgent/DependsOn': 'upstream DependsOn duplicates a Ref dependency',
  'E1041 Resources/SysdigOrchestratorAgent/Properties/ExecutionRoleArn': 'upstream passes a role name (Ref) where an ARN is expected',
};

const CASES = {
  sysdig400: {
    file: 'sysdig-instrumentation-4.0.0.yaml',
    region: 'ap-northeast-1',
    preexisting: {
      'W8001 Conditions/IsKiltCustomRecipeConfiguration': 'upstream 4.0.0 declares a condition it never uses',
    },
  },
  sysdig501: { file: 'sysdig-instrumentation-5.0.1.yaml', region: 'ap-northeast-1', preexisting: {} },
  sysdig501MirrorParameters: {
    file: 'sysdig-instrumentation-5.0.1.yaml',
    region: 'ap-northeast-1',
    preexisting: {},
    options: { MirrorParameters: ['SysdigWorkloadAgentImage'] },
  },
  orchestrator400: {
    file: 'sysdig-orchestrator-agent-4.0.0.yaml',
    region: 'ap-northeast-1',
    preexisting: {
      'W3005 Resources/SysdigOrchestratorAgent/DependsOn': 'upstream DependsOn duplicates a Ref dependency',
      'E1041 Resources/SysdigOrchestratorAgent/Properties/ExecutionRoleArn': 'upstream passes a role name (Ref) where an ARN is expected',
    },
  },
  orchestrator501: { file: 'sysdig-orchestrator-agent-5.0.1.yaml', region: 'ap-northeast-1', preexisting: ORCHESTRATOR_PREEXISTING },
  orchestrator501Ecs: { file: 'sysdig-orchestrator-agent-5.0.1.yaml', region: 'ap-northeast-1', preexisting: ORCHESTRATOR_PREEXISTING, options: { Ecs: true } },
  composex: {
    file: 'composex-docker-macro.yaml',
    region: 'us-east-1',
    preexisting: {
      "E0001 Error transforming template: Resource with id [MacroLambdaFunction] is invalid. invalid 'PackageType' : Image\"":
        'upstream typo `PackageType: Image"` makes the SAM transform fail, which hides every other check',
    },
  },
  // The same template with the typo corrected, so cfn-lint can check everything the macro injects.
  composexFixed: {
    file: 'composex-docker-macro.yaml',
    region: 'us-east-1',
    preexisting: {},
    inputFix: {
      reason: 'upstream typo `PackageType: Image"` corrected to `Image`',
      apply: (text) => text.replace('PackageType: Image"', 'PackageType: Image'),
    },
  },
  binxioProvider: {
    file: 'binxio-cfn-container-image-provider.yaml',
    region: 'us-east-1',
    preexisting: {
      'W1030 Resources/CFNCustomProvider/Properties/VpcConfig/Fn::If/2/SecurityGroupIds/Ref': "upstream default '' is not a security group id",
      'W3037 Resources/LambdaRole/Properties/Policies/0/PolicyDocument/Statement/0/Action': 'upstream grants ecr:DeleteImage, an action that does not exist',
    },
  },
  binxioDemo: { file: 'binxio-container-image-demo.yaml', region: 'us-east-1', preexisting: {} },
} satisfies Record<string, Case>;
type CaseName = keyof typeof CASES;

interface Outcome {
  readonly input: JsonObject;
  readonly output: JsonObject;
}

/** Emulates CloudFormation for `Transform: [SysdigImageFix, <the template's own transforms>]`. */
async function deployThroughMacro(testCase: Case): Promise<Outcome> {
  const text = readFileSync(join(REAL_TEMPLATES_DIR, testCase.file), 'utf8');
  const input = parseCfnYaml(testCase.inputFix ? testCase.inputFix.apply(text) : text) as JsonObject;
  if (testCase.options) input.Metadata = { ...((input.Metadata as JsonObject | undefined) ?? {}), SysdigImageFix: testCase.options };
  const { fragment, otherTransforms } = splitTransforms(input);
  const handler = createMacroHandler({
    env: () => ({ MIRROR_FUNCTION_ARN: `arn:aws:lambda:${testCase.region}:${ACCOUNT}:function:sysdig-image-fix-mirror` }),
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
  const response = await handler({
    region: testCase.region,
    accountId: ACCOUNT,
    fragment,
    transformId: `${ACCOUNT}::SysdigImageFix`,
    params: {},
    requestId: `conformance-${testCase.file}`,
    templateParameterValues: stackParameterValues(input, new Map()).values,
  });
  if (response.status !== 'success') throw new Error(`${testCase.file}: macro failed: ${response.errorMessage}`);
  return { input, output: reassembleTemplate(input, response.fragment, otherTransforms) };
}

function resources(template: JsonObject): Record<string, JsonObject> {
  return template.Resources as Record<string, JsonObject>;
}

function mirrors(template: JsonObject): Record<string, JsonObject> {
  return Object.fromEntries(Object.entries(resources(template)).filter(([, resource]) => resource.Type === 'Custom::ImageMirror'));
}

/** The Custom::ImageMirror a function's image now comes from (Lambda `Code.ImageUri` or SAM `ImageUri`). */
function mirrorFor(template: JsonObject, logicalId: string): { id: string; properties: JsonObject } {
  const properties = resources(template)[logicalId]!.Properties as JsonObject;
  const imageUri = (properties.ImageUri ?? (properties.Code as JsonObject).ImageUri) as JsonObject;
  const [id, attribute] = imageUri['Fn::GetAtt'] as [string, string];
  expect(attribute).toBe('ImageUri');
  const mirror = resources(template)[id]!;
  expect(mirror.Type).toBe('Custom::ImageMirror');
  return { id, properties: mirror.Properties as JsonObject };
}

describe.skipIf(!haveTemplates)('Conformance: real third-party templates through the macro', () => {
  const outcomes = {} as Record<CaseName, Outcome>;

  beforeAll(async () => {
    for (const [name, testCase] of Object.entries(CASES)) outcomes[name as CaseName] = await deployThroughMacro(testCase);
  });

  describe.each(['sysdig400', 'sysdig501'] as const)('Sysdig instrumentation (%s) in ap-northeast-1', (name) => {
    it('mirrors exactly one image: the serverless patcher, for x86_64', () => {
      const { input, output } = outcomes[name];
      expect(Object.keys(mirrors(output))).toHaveLength(1);
      const { properties } = mirrorFor(output, 'ServerlessPatcherLambda');
      const version = name === 'sysdig400' ? '4.0.0' : '5.0.1';
      expect(properties.Architecture).toBe('x86_64');
      // The parameter stays the source, and the repository follows its value at deploy time (a new patcher version
      // passed as a parameter override lands in that version's repository).
      expect(properties).toMatchObject({ SourceImage: { Ref: 'SysdigServerlessPatcherImage' }, RepositoryPrefix: 'sysdig-image-fix' });
      expect(properties.RepositoryName).toBeUndefined();
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(resources(input).ServerlessPatcherLambda).toMatchObject({ Properties: { Code: { ImageUri: { Ref: 'SysdigServerlessPatcherImage' } } } });
    });

    it('leaves SYSDIG_WORKLOAD_AGENT_IMAGE and every other resource untouched', () => {
      const { input, output } = outcomes[name];
      const variables = (fn: JsonObject) => ((fn.Properties as JsonObject).Environment as JsonObject).Variables as JsonObject;
      expect(variables(resources(output).ServerlessPatcherLambda!).SYSDIG_WORKLOAD_AGENT_IMAGE).toEqual({ Ref: 'SysdigWorkloadAgentImage' });
      expect(variables(resources(output).ServerlessPatcherLambda!)).toEqual(variables(resources(input).ServerlessPatcherLambda!));
      const { Code: _outCode, ...outRest } = resources(output).ServerlessPatcherLambda!.Properties as JsonObject;
      const { Code: _inCode, ...inRest } = resources(input).ServerlessPatcherLambda!.Properties as JsonObject;
      expect(outRest).toEqual(inRest);
      for (const id of Object.keys(resources(input)).filter((id) => id !== 'ServerlessPatcherLambda')) {
        expect(resources(output)[id]).toEqual(resources(input)[id]);
      }
      const { Resources: _out, ...outSections } = output;
      const { Resources: _in, ...inSections } = input;
      expect(outSections).toEqual(inSections);
    });
  });

  describe('opt-in options', () => {
    it('sysdig501 with MirrorParameters: the patcher mirrored for x86_64 as before, the workload agent as published', () => {
      const { output } = outcomes.sysdig501MirrorParameters;
      const patcher = mirrorFor(output, 'ServerlessPatcherLambda');
      expect(patcher.id).toBe(mirrorFor(outcomes.sysdig501.output, 'ServerlessPatcherLambda').id);
      expect(patcher.properties.Architecture).toBe('x86_64');
      const variables = ((resources(output).ServerlessPatcherLambda!.Properties as JsonObject).Environment as JsonObject).Variables as JsonObject;
      const [agentId, attribute] = (variables.SYSDIG_WORKLOAD_AGENT_IMAGE as JsonObject)['Fn::GetAtt'] as [string, string];
      expect(attribute).toBe('ImageUri');
      expect(mirrors(output)[agentId]!.Properties).toMatchObject({ SourceImage: { Ref: 'SysdigWorkloadAgentImage' }, Platforms: 'all' });
      expect(mirrors(output)[agentId]!.Properties).not.toHaveProperty('Architecture');
      expect(Object.keys(mirrors(output)).sort()).toEqual([patcher.id, agentId].sort());
    });

    it('orchestrator501 with Ecs: the task image mirrored for x86_64 and rewritten', () => {
      const { output } = outcomes.orchestrator501Ecs;
      const container = ((resources(output).SysdigOrchestratorAgent!.Properties as JsonObject).ContainerDefinitions as JsonObject[])[0]!;
      const [id] = (container.Image as JsonObject)['Fn::GetAtt'] as [string, string];
      expect(mirrors(output)[id]!.Properties).toMatchObject({ SourceImage: { Ref: 'SysdigOrchestratorAgentImage' }, Architecture: 'x86_64' });
      expect(Object.keys(mirrors(output))).toEqual([id]);
    });
  });

  it.each(['orchestrator400', 'orchestrator501', 'binxioDemo'] as const)('%s: nothing to mirror, output deep-equals input', (name) => {
    const { input, output } = outcomes[name];
    expect(output).toEqual(input);
    expect(mirrors(output)).toEqual({});
  });

  it.each(['composex', 'composexFixed'] as const)('%s: SAM function with eu-west-1 ECR image, deployed in us-east-1, is mirrored', (name) => {
    const { output } = outcomes[name];
    expect(output.Transform).toEqual(['AWS::Serverless-2016-10-31']);
    const { properties } = mirrorFor(output, 'MacroLambdaFunction');
    expect(properties.Architecture).toBe('x86_64');
    expect(properties).toMatchObject({ SourceImage: { Ref: 'ECSComposeXMacroUri' }, RepositoryPrefix: 'sysdig-image-fix' });
    expect(Object.keys(mirrors(output))).toHaveLength(1);
  });

  it('binxio provider: literal eu-central-1 ECR image, deployed in us-east-1, is mirrored', () => {
    const { output } = outcomes.binxioProvider;
    const { properties } = mirrorFor(output, 'CFNCustomProvider');
    expect(properties.SourceImage).toBe('463637877380.dkr.ecr.eu-central-1.amazonaws.com/xebia/cfn-container-image-provider:1.0.1');
    expect(properties.RepositoryName).toBe('sysdig-image-fix/463637877380.dkr.ecr.eu-central-1.amazonaws.com/xebia/cfn-container-image-provider');
    expect(properties.Architecture).toBe('x86_64');
    expect(Object.keys(mirrors(output))).toHaveLength(1);
  });

  describe.skipIf(!haveTools(TOOLS.cfnLint))('cfn-lint', () => {
    const findings = {} as Record<CaseName, { input: LintFinding[]; output: LintFinding[] }>;

    beforeAll(async () => {
      // One cfn-lint process per region and side: its start-up costs seconds.
      const names = Object.keys(CASES) as CaseName[];
      for (const region of new Set(names.map((name) => CASES[name].region))) {
        const inRegion = names.filter((name) => CASES[name].region === region);
        const [inputs, outputs] = await Promise.all([
          lintTemplates(Object.fromEntries(inRegion.map((name) => [name, outcomes[name].input])), { region }),
          lintTemplates(Object.fromEntries(inRegion.map((name) => [name, outcomes[name].output])), { region }),
        ]);
        for (const name of inRegion) findings[name] = { input: inputs.get(name)!, output: outputs.get(name)! };
      }
    });

    it.each(Object.keys(CASES) as CaseName[])('%s: the input has exactly the named upstream findings', (name) => {
      expect(findings[name].input.map(findingKey).sort()).toEqual(Object.keys(CASES[name].preexisting).sort());
    });

    it.each(Object.keys(CASES) as CaseName[])('%s: the transformed output adds no finding', (name) => {
      const before = new Set(findings[name].input.map(findingKey));
      const added = findings[name].output.filter((finding) => !before.has(findingKey(finding)));
      expect(added.map((finding) => `${finding.rule} ${finding.path ?? ''}: ${finding.message}`)).toEqual([]);
    });
  });
});
