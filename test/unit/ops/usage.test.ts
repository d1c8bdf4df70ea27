// Inventory + usage over an account in memory: who uses what, index and child manifests together, lifecycle rules
// that could remove a used image, and every way the answer can be incomplete (which never reads as unused).
import { describe, expect, it } from 'vitest';
import { readInventory } from '../../../src/ops/inventory.js';
import { analyseUsage, type RepositoryReport, type UsageReport } from '../../../src/ops/usage.js';
import { standardWorld } from './standard-world.js';
import { deny, digest, fakePort, image, PREFIX, REGION, REGISTRY, stack, uri, type Failures, type World } from './world.js';

const APP = `${PREFIX}/quay.io/e2e/app`;
const NGINX = `${PREFIX}/docker.io/library/nginx`;
const HAND_MADE = `${PREFIX}/hand-made`;
const OUTSIDE = 'team/app';

async function report(world: World, failures: Failures = {}, prefix: string | null = PREFIX): Promise<{ report: UsageReport; port: ReturnType<typeof fakePort> }> {
  const port = fakePort(world, failures);
  const inventory = await readInventory(port, { region: REGION, ...(prefix !== null ? { prefix } : {}) });
  return { report: analyseUsage(inventory), port };
}

function repository(result: UsageReport, name: string): RepositoryReport {
  return result.repositories.find((entry) => entry.name === name)!;
}

function statuses(result: UsageReport, name: string): Record<string, string> {
  return Object.fromEntries((repository(result, name).images ?? []).map((entry) => [entry.digest, entry.status]));
}

describe('Function: analyseUsage over readInventory', () => {
  it('names the users of each image and marks what nothing uses', async () => {
    const { report: result } = await report(standardWorld());
    expect(result.blockers).toEqual([]);
    expect(result.repositories.map((entry) => [entry.name, entry.managed])).toEqual([
      [NGINX, true],
      [HAND_MADE, false],
      [APP, true],
    ]);
    const app = repository(result, APP);
    expect(app.sourceImage).toBe('quay.io/e2e/app:1.0');
    const byDigest = new Map(app.images!.map((entry) => [entry.digest, entry]));
    expect(byDigest.get(digest('child-amd64'))!.users.map((use) => [use.user.kind, use.user.name, use.via])).toEqual([
      ['function', 'api', 'digest'],
      ['stack', 'app/ImageMirror1a2b3c4d', 'digest'],
    ]);
    expect(statuses(result, APP)).toEqual({
      [digest('old')]: 'unused',
      [digest('child-amd64')]: 'used',
      [digest('index')]: 'used',
      [digest('child-arm64')]: 'used',
      [digest('attestation')]: 'used',
      [digest('new')]: 'unused',
    });
    const nginx = repository(result, NGINX);
    expect(nginx.images!.map((entry) => [entry.tags[0], entry.status, entry.users.map((use) => `${use.user.name} ${use.via}`)])).toEqual([
      ['1.27', 'used', ['web:7 (proxy) tag 1.27']],
      ['1.26', 'used', ['web:7 (old) digest']],
      ['1.25', 'unused', []],
    ]);
  });

  it('ties an index to the manifests it lists: a used one-platform child keeps the index and its other children', async () => {
    const { report: result } = await report(standardWorld());
    const images = new Map(repository(result, APP).images!.map((entry) => [entry.digest, entry]));
    const index = images.get(digest('index'))!;
    expect(index.index).toBe(true);
    expect(index.children).toEqual([digest('child-amd64'), digest('child-arm64'), digest('attestation')]);
    expect(index.keptBecause).toBe(`lists ${digest('child-amd64')}, which is used`);
    expect(images.get(digest('child-arm64'))!.keptBecause).toBe(`listed by index ${digest('index')}`);
    expect(images.get(digest('child-amd64'))!.parents).toEqual([digest('index')]);
    expect(new Set([...images.values()].filter((entry) => entry.status === 'used').map((entry) => entry.group)).size).toBe(1);
  });

  it('flags lifecycle rules that could remove a used image, naming the rule, the image and its users', async () => {
    const { report: result } = await report(standardWorld());
    expect(repository(result, APP).lifecycleRisks).toEqual([
      { rule: 'rule 1 ("untagged"): expire untagged images pushed more than 14 days ago', digest: digest('child-arm64'), users: [`listed by index ${digest('index')}`] },
      { rule: 'rule 1 ("untagged"): expire untagged images pushed more than 14 days ago', digest: digest('attestation'), users: [`listed by index ${digest('index')}`] },
    ]);
  });

  it('never reads repositories outside the prefix beyond the repository list', async () => {
    const { port } = await report(standardWorld());
    const touched = port.calls.filter((call) => call.method !== 'listRepositories').map((call) => JSON.stringify(call.argument ?? ''));
    expect(touched.some((text) => text.includes(OUTSIDE))).toBe(false);
  });

  it('an AccessDenied on lambda:ListFunctions is reported, blocks every delete, and leaves unused images "unknown"', async () => {
    const { report: result } = await report(standardWorld(), { listImageFunctions: deny('lambda:ListFunctions') });
    expect(result.blockers).toEqual([
      'Lambda functions could not be read (lambda:ListFunctions: AccessDeniedException: User: arn:aws:iam::123456789012:user/ops is not authorized to perform: lambda:ListFunctions)',
    ]);
    expect(statuses(result, NGINX)[digest('n125')]).toBe('unknown');
    // What is known to be used stays used (the task definition was read).
    expect(statuses(result, NGINX)[digest('n127')]).toBe('used');
  });

  it("a failure on one function, one task definition or one stack's resources is as incomplete as the whole list", async () => {
    for (const failures of [
      { functionImage: deny('lambda:GetFunction', (name) => name === 'api') },
      { taskDefinition: deny('ecs:DescribeTaskDefinition') },
      { listMirrorResources: deny('cloudformation:ListStackResources') },
      { listStacks: deny('cloudformation:DescribeStacks') },
    ] satisfies Failures[]) {
      const { report: result } = await report(standardWorld(), failures);
      expect(result.blockers).toHaveLength(1);
      expect(result.blockers[0]).toMatch(
        /could not be read \((lambda:GetFunction|ecs:DescribeTaskDefinition|cloudformation:ListStackResources|cloudformation:DescribeStacks): AccessDeniedException/,
      );
    }
  });

  it('a repository whose images cannot be read is uncertain on its own; the others are complete', async () => {
    const { report: result } = await report(standardWorld(), { listImages: deny('ecr:DescribeImages', (name) => name === NGINX) });
    expect(result.blockers).toEqual([]);
    expect(repository(result, NGINX).images).toBeUndefined();
    expect(repository(result, NGINX).uncertain).toEqual([expect.stringMatching(/^ecr:DescribeImages failed: AccessDeniedException/)]);
    expect(statuses(result, APP)[digest('old')]).toBe('unused');
  });

  it('an index whose manifest cannot be read makes its repository uncertain (its children might be used through it)', async () => {
    const { report: result } = await report(standardWorld(), { indexChildren: deny('ecr:BatchGetImage') });
    expect(repository(result, APP).uncertain).toEqual([expect.stringMatching(/^ecr:BatchGetImage failed/)]);
    expect(statuses(result, APP)[digest('old')]).toBe('unknown');
  });

  it('a function by tag whose digest Lambda does not tell (moto 5.2.1 answers a random digest) keeps the tag and makes the repository uncertain', async () => {
    const world = standardWorld();
    world.functions.push({ name: 'tagged', imageUri: uri(APP, '1.1'), resolvedImageUri: `${REGISTRY}/${APP}@sha256:${'3a'.repeat(32)}` });
    const { report: result } = await report(world);
    const app = repository(result, APP);
    expect(app.uncertain).toEqual([
      `function tagged uses tag 1.1 and Lambda resolved it to sha256:${'3a'.repeat(32)}, which the repository does not hold: the image it runs is not known`,
    ]);
    expect(statuses(result, APP)[digest('new')]).toBe('used');
    expect(statuses(result, APP)[digest('old')]).toBe('unknown');
  });

  it('a function by tag with a ResolvedImageUri the repository holds uses exactly that digest', async () => {
    const world = standardWorld();
    world.functions.push({ name: 'tagged', imageUri: uri(APP, '1.1'), resolvedImageUri: uri(APP, digest('old')) });
    const { report: result } = await report(world);
    expect(repository(result, APP).uncertain).toEqual([]);
    expect(statuses(result, APP)[digest('old')]).toBe('used');
    expect(statuses(result, APP)[digest('new')]).toBe('unused');
  });

  it('a task definition naming a tag no image has makes the repository uncertain', async () => {
    const world = standardWorld();
    world.taskDefinitions.push({ name: 'batch:1', containers: [{ name: 'c', image: uri(NGINX, 'gone') }] });
    const { report: result } = await report(world);
    expect(repository(result, NGINX).uncertain).toEqual([
      'task definition batch:1 (c) names tag gone, which no image of this repository has: the image it runs is not known',
    ]);
  });

  it('a stack being deployed blocks everything; a mirror whose physical id is no image is a note', async () => {
    const world = standardWorld();
    world.stacks.push(stack('deploying', [{ logicalId: 'ImageMirror0000aaaa', physicalId: 'deploying-M-WFZ0XYJH9QRJ', status: 'CREATE_IN_PROGRESS' }], 'CREATE_IN_PROGRESS'));
    const { report: result } = await report(world);
    expect(result.blockers).toEqual(['stack deploying is CREATE_IN_PROGRESS: until it ends, the images of its old and new Custom::ImageMirror resources may both be in use']);
    expect(result.notes).toEqual(['deploying/ImageMirror0000aaaa (CREATE_IN_PROGRESS) has physical id deploying-M-WFZ0XYJH9QRJ, not an image <repository>@sha256:<digest>']);
  });

  it('finds the prefix in the macro stack (output MirrorFunctionArn exported, parameter RepositoryPrefix)', async () => {
    const world = standardWorld();
    world.repositories.push({ name: 'team-mirrors/quay.io/x', images: [image('x')] });
    world.stacks.push({
      record: {
        name: 'sysdig-image-fix-macro',
        id: 'arn:aws:cloudformation:us-east-1:123456789012:stack/sysdig-image-fix-macro/1',
        status: 'CREATE_COMPLETE',
        parameters: { RepositoryPrefix: 'team-mirrors', MacroName: 'SysdigImageFix' },
        outputs: [
          { key: 'MirrorFunctionArn', value: 'arn:aws:lambda:us-east-1:123456789012:function:SysdigImageFix-mirror', exportName: 'SysdigImageFix-MirrorFunctionArn' },
        ],
      },
      mirrors: [],
    });
    const { report: result } = await report(world, {}, null);
    expect(result.prefixes).toEqual(['team-mirrors']);
    expect(result.prefixSource).toBe('macro stack sysdig-image-fix-macro');
    expect(result.repositories.map((entry) => entry.name)).toEqual(['team-mirrors/quay.io/x']);
  });

  it('without a macro stack, the default prefix, said so', async () => {
    const { report: result } = await report(standardWorld(), {}, null);
    expect(result.prefixes).toEqual([PREFIX]);
    expect(result.prefixSource).toBe('the default (no SysdigImageFix macro stack found in this region)');
  });
});
