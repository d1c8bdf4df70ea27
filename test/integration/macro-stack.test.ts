// The two deployable forms of the macro stack, checked with the real validators:
//   template.yaml (SAM, `sam deploy`)  and  the generated StackSet template (plain CloudFormation).
// cfn-lint must be clean on both; the SAM translator must turn template.yaml into plain CloudFormation
// offline, and the StackSet conversion must match it; every IAM statement of both passes the audit.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../src/template/types.js';
import { DEFAULT_REPOSITORY_PREFIX } from '../../src/reference/index.js';
import {
  BUILDSPEC_PATH,
  deployedBuildSpec,
  TEMPLATE_BODY_MAX_BYTES,
  TEMPLATE_PATH,
  TEMPLATE_URL_MAX_BYTES,
  embeddedBuildSpec,
  parseTemplate,
  withBuildSpec,
} from '../../scripts/package-stackset.js';
import { samTranslate } from '../support/sam.js';
import { TOOLS, haveTools } from '../support/tools.js';
import { DEFAULT_PSEUDO, auditPolicies, decideResources } from '../unit/stack/policy-audit.js';

const run = promisify(execFile);
const root = resolve(TEMPLATE_PATH, '..');
const BUNDLES = { MacroFunction: 'dist/macro/index.js', MirrorFunction: 'dist/mirror/index.js' } as const;
const LINT_REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/quay-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs),
  );
}

/**
 * `npm run build` unless the bundles are newer than every source. `npm test` has just built them, and
 * rewriting them while another suite loads them would race; on a laptop a stale bundle is rebuilt.
 */
function ensureBundles(): void {
  const bundleTimes = Object.values(BUNDLES).map((path) => {
    try {
      return statSync(join(root, path)).mtimeMs;
    } catch {
      return 0;
    }
  });
  const sourceTime = Math.max(newestMtime(join(root, 'src')), ...['scripts/build.ts', 'package-lock.json'].map((path) => statSync(join(root, path)).mtimeMs));
  if (Math.min(...bundleTimes) > sourceTime) return;
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(`npm run build failed, so the bundles cannot be packaged yet:\n${build.stderr || build.stdout}`);
  }
}

/** What `sam package` does before CloudFormation runs the SAM transform: local CodeUri -> S3 object. */
function asPackaged(template: JsonObject): JsonObject {
  const copy = structuredClone(template);
  for (const [id, resource] of Object.entries(copy.Resources as Record<string, JsonObject>)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    (resource.Properties as JsonObject).CodeUri = `s3://sam-artifacts-bucket/${id}.zip`;
  }
  return copy;
}

interface LintResult {
  readonly file: string;
  readonly rule: string;
  readonly message: string;
}

async function cfnLint(files: string[]): Promise<LintResult[]> {
  const argv = ['--format', 'json', '--regions', ...LINT_REGIONS, '--', ...files];
  let stdout: string;
  try {
    stdout = (await run('cfn-lint', argv, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    // Non-zero exit codes only say which levels were found; the JSON is the answer.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (stdout === '') throw error;
  }
  return (JSON.parse(stdout) as Array<{ Filename: string; Rule: { Id: string }; Message: string }>).map((f) => ({
    file: f.Filename,
    rule: f.Rule.Id,
    message: f.Message,
  }));
}

function collect(value: Json, key: string, found: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const item of value) collect(item, key, found);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) found.push(v);
      collect(v, key, found);
    }
  }
  return found;
}

const resourcesOf = (template: JsonObject) => template.Resources as Record<string, JsonObject>;

describe.skipIf(!haveTools(TOOLS.cfnLint, TOOLS.samTranslator))('macro stack templates (cfn-lint, SAM translator)', () => {
  let workDir: string;
  let stackSetPath: string;
  let stackSetText: string;
  let stackSet: JsonObject;
  let sam: JsonObject;
  let samTranslated: JsonObject;
  let packagingReport: string;
  const bundles: Record<string, string> = {};

  beforeAll(async () => {
    ensureBundles();
    for (const [id, path] of Object.entries(BUNDLES)) bundles[id] = readFileSync(join(root, path), 'utf8');
    workDir = mkdtempSync(join(tmpdir(), 'sif-macro-stack-'));
    stackSetPath = join(workDir, 'sysdig-image-fix.yaml');
    const packaging = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'package-stackset.ts'), '--out', stackSetPath], {
      cwd: root,
      encoding: 'utf8',
    });
    if (packaging.status !== 0) throw new Error(`package-stackset failed:\n${packaging.stderr}`);
    packagingReport = packaging.stdout;
    stackSetText = readFileSync(stackSetPath, 'utf8');
    stackSet = parseTemplate(stackSetText);
    sam = parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8'));
    samTranslated = (await samTranslate(asPackaged(sam), { region: DEFAULT_PSEUDO.region })) as JsonObject;
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('cfn-lint finds nothing in template.yaml or in the StackSet template', async () => {
    expect(await cfnLint([TEMPLATE_PATH, stackSetPath])).toEqual([]);
  });

  it('cfn-lint does report a broken copy (the check is live)', async () => {
    const broken = join(workDir, 'broken.yaml');
    writeFileSync(broken, stackSetText.replace(/Runtime: nodejs24\.x/, 'Runtime: nodejs2.x'));
    const findings = await cfnLint([broken]);
    expect(findings.map((f) => f.rule)).toContain('E3030');
  });

  it('the SAM translator turns template.yaml into plain CloudFormation offline', () => {
    expect(samTranslated.Transform).toBeUndefined();
    const types = Object.values(resourcesOf(samTranslated)).map((r) => r.Type as string);
    expect(types.filter((type) => type.startsWith('AWS::Serverless::'))).toEqual([]);
    expect(types.filter((type) => type === 'AWS::Lambda::Function')).toHaveLength(2);
  });

  it('the StackSet template is what SAM deploys, with the bundles inline instead of S3', () => {
    // The buildspec has its own test below; here both take it from its one source.
    const fromSam = resourcesOf(withBuildSpec(samTranslated, deployedBuildSpec(readFileSync(BUILDSPEC_PATH, 'utf8'))));
    const fromStackSet = resourcesOf(stackSet);
    expect(Object.keys(fromStackSet).sort()).toEqual(Object.keys(fromSam).sort());
    for (const [id, resource] of Object.entries(fromStackSet)) {
      const samResource = fromSam[id]!;
      if (resource.Type !== 'AWS::Lambda::Function') {
        expect(resource, id).toEqual(samResource);
        continue;
      }
      expect(samResource.Type).toBe('AWS::Lambda::Function');
      // SAM adds its lambda:createdBy tag and points Code at the packaged S3 object.
      const { Code: samCode, Tags: _tags, ...samProperties } = samResource.Properties as JsonObject;
      const { Code: code, ...properties } = resource.Properties as JsonObject;
      expect(properties, id).toEqual(samProperties);
      expect(samCode).toEqual({ S3Bucket: 'sam-artifacts-bucket', S3Key: `${id}.zip` });
      expect((code as JsonObject).ZipFile === bundles[id], `${id} ZipFile is ${BUNDLES[id as keyof typeof BUNDLES]}`).toBe(true);
    }
    for (const section of ['Parameters', 'Conditions', 'Outputs', 'Metadata', 'Description'] as const) {
      expect(stackSet[section], section).toEqual(samTranslated[section]);
    }
  });

  it('the inline code loads as CommonJS index.js exporting handler, as Lambda loads a ZipFile, and needs no package beside it', () => {
    // Every package a bundle needs is inside it (the mirror's AWS SDK too: the version the tests ran, not the runtime's):
    // loaded from a folder with no node_modules above it, it asks Node for nothing but Node's own modules.
    const probe = [
      "const Module = require('node:module');",
      'const external = [];',
      'const load = Module._load;',
      'Module._load = function (request, ...rest) { if (!Module.isBuiltin(request) && !/^[./]/.test(request)) external.push(request); return load.call(this, request, ...rest); };',
      'const m = require(process.argv[1]);',
      'process.stdout.write(JSON.stringify({ handler: typeof m.handler, external }));',
    ].join('\n');
    for (const [id, resource] of Object.entries(resourcesOf(stackSet)).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      const properties = resource.Properties as JsonObject;
      expect(properties.Handler).toBe('index.handler');
      const dir = mkdtempSync(join(workDir, 'zipfile-'));
      writeFileSync(join(dir, 'index.js'), (properties.Code as JsonObject).ZipFile as string);
      const { NODE_PATH: _unused, ...env } = process.env;
      const loaded = spawnSync(process.execPath, ['-e', probe, join(dir, 'index.js')], { encoding: 'utf8', cwd: dir, env });
      expect(loaded.stderr, id).toBe('');
      expect(JSON.parse(loaded.stdout), id).toEqual({ handler: 'function', external: [] });
    }
  });

  it.each([
    ['defaults', {}],
    ['a secret, a key and another prefix', { RegistryCredentialsSecretArn: SECRET_ARN, KmsKeyArn: KEY_ARN, RepositoryPrefix: 'team/mirror' }],
    ['CopyEngine function and another prefix', { CopyEngine: 'function', RepositoryPrefix: 'team/mirror' }],
  ])('every IAM statement of both templates passes the least-privilege audit with %s', (_, overrides: Record<string, string>) => {
    const context = {
      pseudo: DEFAULT_PSEUDO,
      repositoryPrefix: overrides.RepositoryPrefix ?? DEFAULT_REPOSITORY_PREFIX,
      registryCredentialsSecretArn: overrides.RegistryCredentialsSecretArn ?? '',
      kmsKeyArn: overrides.KmsKeyArn ?? '',
    };
    for (const template of [samTranslated, stackSet]) {
      const decided = decideResources(template, overrides);
      expect(Object.values(decided).filter((r) => r.Type === 'AWS::IAM::Role')).toHaveLength(3);
      expect(auditPolicies(decided, context)).toEqual([]);
      // The mirror function may push only when it copies (CopyEngine function); the copy job always may.
      const mirrorPolicy = JSON.stringify((decided.MirrorRole?.Properties as JsonObject | undefined)?.Policies ?? []);
      expect(mirrorPolicy.includes('ecr:PutImage')).toBe(overrides.CopyEngine === 'function');
    }
  });

  it('both templates carry the compact form of src/mirror/buildspec.yaml byte for byte', () => {
    const buildSpec = deployedBuildSpec(readFileSync(BUILDSPEC_PATH, 'utf8'));
    expect(embeddedBuildSpec(sam) === buildSpec, 'template.yaml: run npx tsx scripts/sync-buildspec.ts').toBe(true);
    expect(embeddedBuildSpec(samTranslated) === buildSpec, 'SAM translation').toBe(true);
    expect(embeddedBuildSpec(stackSet) === buildSpec, 'StackSet template').toBe(true);
  });

  it('every function runs on nodejs24.x', () => {
    for (const template of [sam, samTranslated, stackSet]) {
      expect(collect(resourcesOf(template) as Json, 'Runtime')).toEqual(['nodejs24.x', 'nodejs24.x']);
    }
  });

  it('the StackSet template has no transform and stays under 1 MB', () => {
    expect(stackSet.Transform).toBeUndefined();
    // Keys only: the inline macro code itself mentions AWS::Serverless and Fn::Transform.
    expect(collect(stackSet as Json, 'Fn::Transform')).toEqual([]);
    expect(
      Object.values(resourcesOf(stackSet))
        .map((r) => r.Type)
        .filter((t) => String(t).startsWith('AWS::Serverless')),
    ).toEqual([]);
    expect(statSync(stackSetPath).size).toBeLessThan(TEMPLATE_URL_MAX_BYTES);
  });

  it('the packaging prints the measured sizes and how to hand the template to CloudFormation', () => {
    for (const [id, path] of Object.entries(BUNDLES)) {
      expect(packagingReport).toContain(`${id} (${path}): ${statSync(join(root, path)).size} bytes`);
    }
    const size = statSync(stackSetPath).size;
    expect(packagingReport).toContain(`${stackSetPath}: ${size} bytes`);
    expect(packagingReport).toContain(size <= TEMPLATE_BODY_MAX_BYTES ? 'fits --template-body' : 'use --template-url');
  });
});
