// `mirrors` and `prune`, the BUILT command line, against moto_server (ECR, Lambda, ECS, CloudFormation, IAM) through
// the real AWS SDK with credentials from the environment (the SDK's default chain). A paging proxy in front of moto
// (test/support/aws-paging-proxy.ts) pages the lists moto answers in one page; moto's own IAM checks refuse a call
// (test/support/moto.ts createMotoUser, setMotoIamChecks). The account: mirrored repositories with images some
// functions and task definitions use and others not, an index whose one-platform child a function runs (the child
// also tagged on its own), a hand-made repository under the prefix, a repository outside it, an INACTIVE task
// definition, the macro stack (where the prefix comes from) and more stacks than one DescribeStacks page.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shortDigest } from '../../src/cli/ops-report.js';
import { startPagingProxy, type PagingProxy } from '../support/aws-paging-proxy.js';
import { createMotoUser, MOTO_ACCOUNT_ID, setMotoIamChecks, startMoto, type LocalMoto } from '../support/moto.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { APP, HAND_MADE, imageDigests, NGINX, OUTSIDE, REGION, seedAccount, type Seeded } from './ops-moto-account.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

const CLI = new URL('../../dist/cli/index.js', import.meta.url).pathname;
const PAGE_SIZE = 2;
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe.skipIf(!haveTools(TOOLS.moto))('Command line: mirrors and prune against moto_server', () => {
  let moto: LocalMoto;
  let proxy: PagingProxy;
  let home: string;
  let account: Seeded;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:integration does)`);
    moto = await startMoto();
    proxy = await startPagingProxy({ target: moto.endpoint, pageSize: PAGE_SIZE });
    home = await mkdtemp(join(tmpdir(), 'sif-ops-'));
  }, TOOL_TEST_TIMEOUT_MS);

  afterAll(async () => {
    if (moto) await setMotoIamChecks(moto, false).catch(() => undefined);
    await proxy?.stop();
    await moto?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await setMotoIamChecks(moto, false);
    await moto.reset();
    proxy.served.clear();
    account = await seedAccount(moto);
  }, TOOL_TEST_TIMEOUT_MS);

  /** The built CLI as an operator runs it: the user's key in the environment, nothing else of AWS configured. */
  async function cli(args: string[], policy: unknown = ALLOW_ALL): Promise<Run> {
    const key = await createMotoUser(moto, `ops-${proxy.served.size}-${Date.now()}`, policy);
    await setMotoIamChecks(moto, true);
    try {
      return await new Promise<Run>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: home,
            AWS_ACCESS_KEY_ID: key.accessKeyId,
            AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
            AWS_ENDPOINT_URL: proxy.url,
            AWS_CONFIG_FILE: join(home, 'no-config'),
            AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    } finally {
      await setMotoIamChecks(moto, false);
    }
  }

  /** `repository digest` lines of the table rows whose status column says `status`. */
  function rowsWithStatus(table: string, status: string): string[] {
    return table.split('\n').filter((line) => new RegExp(`^  sha256:[0-9a-f]{12}\\s.*\\s${status}\\s`).test(line));
  }

  it(
    "mirrors: every repository under the macro stack's prefix, who uses each image, what nothing uses; every list read to its last page",
    async () => {
      const run = await cli(['mirrors', '--region', REGION]);
      if (process.env.SHOW_OPS_OUTPUT) console.log(run.stdout);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Repositories under sysdig-image-fix/ in ${REGION} (prefix from macro stack sysdig-image-fix-macro)`);
      expect(run.stdout).not.toContain(OUTSIDE);
      expect(run.stdout).toContain(`${HAND_MADE} (NOT created by the mirror function)`);
      const d = account.digests;
      const row = (digest: string) => run.stdout.split('\n').find((line) => line.startsWith(`  ${shortDigest(digest)}`)) ?? '';
      // Functions pinned by digest: moto's ResolvedImageUri for them is "<repo>@sha256@sha256:<random>" and is ignored.
      expect(row(d.appChildAmd64)).toMatch(/1\.0\s+child\s.*\sused\s+function app-api \(digest\)$/);
      expect(row(d.appIndex)).toMatch(new RegExp(`1\\.0-all\\s+index\\s.*\\sused\\s+lists ${shortDigest(d.appChildAmd64)}, which is used$`));
      expect(row(d.appChildArm64)).toMatch(new RegExp(`-\\s+child\\s.*\\sused\\s+listed by index ${shortDigest(d.appIndex)}$`));
      expect(row(d.nginx127)).toMatch(/1\.27\s+image\s.*\sused\s+task web:3 \(proxy\) \(tag 1\.27\)$/);
      expect(row(d.nginx126)).toMatch(/1\.26\s+image\s.*\sused\s+task web:2 \(proxy\) \(digest\)$/);
      // Named only by a deregistered (INACTIVE) revision: unused.
      expect(row(d.nginx125)).toMatch(/1\.25\s+image\s.*\sunused\s+nothing$/);
      expect(
        rowsWithStatus(run.stdout, 'unused')
          .map((line) => line.trim().split(/\s+/)[0])
          .sort(),
      ).toEqual([d.nginx125, d.hand, d.appOld, d.appNew].map(shortDigest).sort());
      expect(run.stdout).toContain(
        `lifecycle: rule 1 ("expire old untagged"): expire untagged images pushed more than 14 days ago could remove ${shortDigest(d.appChildArm64)}`,
      );
      // More items than one page: each list was read page by page (moto's own pages for DescribeStacks: 50 stacks each).
      expect(proxy.served.get('ecr:DescribeRepositories')).toBe(Math.ceil(account.repositoryCount / PAGE_SIZE));
      expect(proxy.served.get('lambda:ListFunctions')).toBe(Math.ceil(account.functionCount / PAGE_SIZE));
      expect(proxy.served.get('ecs:ListTaskDefinitions')).toBe(Math.ceil(account.activeTaskDefinitionCount / PAGE_SIZE));
      expect(proxy.served.get('cloudformation:DescribeStacks')).toBe(Math.ceil(account.stackCount / 50));
      expect(proxy.served.get('ecr:DescribeImages')).toBeGreaterThan(account.repositoryCount - 1);
    },
    TOOL_TEST_TIMEOUT_MS,
  );

  it(
    'prune: a dry run shows what nothing uses and the bytes; --yes deletes exactly that, indexes and used images stay',
    async () => {
      const d = account.digests;
      const dry = await cli(['prune', '--region', REGION, '--older-than', '0d']);
      if (process.env.SHOW_OPS_OUTPUT) console.log(dry.stdout);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/^Dry run \(nothing is deleted; add --yes to delete\)/);
      expect(dry.stdout).toMatch(/Would delete 3 image\(s\) in 3 group\(s\), \d/);
      for (const digest of [d.nginx125, d.appOld, d.appNew]) expect(dry.stdout).toContain(shortDigest(digest));
      expect(dry.stdout).toContain(`left alone: ${HAND_MADE}: it has no ManagedBy=sysdig-image-fix tag`);
      expect(await imageDigests(moto, APP)).toHaveLength(5);

      proxy.served.clear();
      const done = await cli(['prune', '--region', REGION, '--older-than', '0d', '--yes']);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toMatch(/Deleted 3 image\(s\)/);
      expect(await imageDigests(moto, APP)).toEqual([d.appChildAmd64, d.appChildArm64, d.appIndex].sort());
      expect(await imageDigests(moto, NGINX)).toEqual([d.nginx126, d.nginx127].sort());
      expect(await imageDigests(moto, HAND_MADE)).toEqual([d.hand]);
      expect(await imageDigests(moto, OUTSIDE)).toEqual([d.outside]);
      // Each repository's deletes came right after every user list was read again.
      expect(proxy.served.get('ecr:BatchDeleteImage')).toBe(2);
      expect(proxy.served.get('lambda:ListFunctions')).toBe(3 * Math.ceil(account.functionCount / PAGE_SIZE));
    },
    TOOL_TEST_TIMEOUT_MS,
  );

  it(
    "an AccessDenied on lambda:ListFunctions (moto's own IAM check) is reported, nothing reads as unused, prune deletes nothing",
    async () => {
      const denyList = { Version: '2012-10-17', Statement: [...ALLOW_ALL.Statement, { Effect: 'Deny', Action: 'lambda:ListFunctions', Resource: '*' }] };
      const report = await cli(['mirrors', '--region', REGION], denyList);
      expect(report.code).toBe(1);
      expect(report.stderr).toMatch(
        /^incomplete: Lambda functions could not be read \(lambda:ListFunctions: AccessDeniedException: User: arn:aws:iam::\d{12}:user\/ops-\S+ is not authorized to perform: lambda:ListFunctions/,
      );
      expect(rowsWithStatus(report.stdout, 'unused')).toEqual([]);
      expect(rowsWithStatus(report.stdout, 'unknown').length).toBeGreaterThanOrEqual(4);

      const before = await imageDigests(moto, APP);
      const prune = await cli(['prune', '--region', REGION, '--older-than', '0d', '--yes'], denyList);
      expect(prune.code).toBe(1);
      expect(prune.stdout).toContain('Nothing will be deleted: what uses the images is not completely known (see above).');
      expect(await imageDigests(moto, APP)).toEqual(before);
      expect(proxy.served.get('ecr:BatchDeleteImage')).toBeUndefined();
    },
    TOOL_TEST_TIMEOUT_MS,
  );

  it(
    "an AccessDenied on one stack's resources (CloudFormation's own XML refusal) blocks prune as well",
    async () => {
      const deny = { Version: '2012-10-17', Statement: [...ALLOW_ALL.Statement, { Effect: 'Deny', Action: 'cloudformation:ListStackResources', Resource: '*' }] };
      const prune = await cli(['prune', '--region', REGION, '--older-than', '0d', '--yes', '--format', 'json'], deny);
      expect(prune.code).toBe(1);
      const outcome = JSON.parse(prune.stdout);
      expect(outcome.selected).toEqual([]);
      expect(outcome.blockers[0]).toMatch(/^resources of stack \S+ could not be read \(cloudformation:ListStackResources: AccessDenied: User: .* is not authorized/);
      expect(proxy.served.get('ecr:BatchDeleteImage')).toBeUndefined();
    },
    TOOL_TEST_TIMEOUT_MS,
  );

  it(
    'a stack whose Custom::ImageMirror is being created blocks prune; its physical id that is no image is a note',
    async () => {
      await account.addStack('deploying', {
        Resources: {
          ImageMirror0a1b2c3d: {
            Type: 'Custom::ImageMirror',
            Properties: { ServiceToken: account.functionArn('app-api'), SourceImage: 'quay.io/e2e/app:1.2', Architecture: 'x86_64' },
          },
        },
      });
      const prune = await cli(['prune', '--region', REGION, '--older-than', '0d', '--yes']);
      expect(prune.code).toBe(1);
      // moto leaves the stack CREATE_IN_PROGRESS: it invokes the ServiceToken through Docker, which is not there.
      expect(prune.stderr).toContain(
        'incomplete: stack deploying is CREATE_IN_PROGRESS: until it ends, the images of its old and new Custom::ImageMirror resources may both be in use',
      );
      expect(prune.stderr).toMatch(/note: deploying\/ImageMirror0a1b2c3d \(\w+\) has physical id deploying-ImageMirror0a1b2c3d-\w+, not an image/);
      expect(proxy.served.get('ecr:BatchDeleteImage')).toBeUndefined();
    },
    TOOL_TEST_TIMEOUT_MS,
  );

  it(
    "a function by tag, whose digest moto's ResolvedImageUri does not tell, keeps its repository out of prune",
    async () => {
      await account.addFunction('app-latest', `${MOTO_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${APP}:1.1`);
      const prune = await cli(['prune', '--region', REGION, '--older-than', '0d', '--yes']);
      expect(prune.code, prune.stderr).toBe(0);
      expect(prune.stdout).toMatch(
        new RegExp(
          `left alone: ${APP}: what uses its images is not fully known: function app-latest uses tag 1\\.1 and Lambda resolved it to sha256:[0-9a-f]{64}, which the repository does not hold`,
        ),
      );
      expect(await imageDigests(moto, APP)).toHaveLength(5);
      expect(await imageDigests(moto, NGINX)).toEqual([account.digests.nginx126, account.digests.nginx127].sort());
    },
    TOOL_TEST_TIMEOUT_MS,
  );
});
