// Fault injection: over random scenarios and random schedules of failing or silent calls (every AWS SDK
// call, every registry call, response PUTs), each invocation of the handler either answers CloudFormation
// exactly once or hands over with exactly one accepted self-invoke and no answer, within its budget; it
// never throws; and the chain of invocations for one request ends in exactly one answer.
import { AccountLimitExceededException } from '@aws-sdk/client-codebuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryRateLimitedError, RegistryUnreachableError } from '../../../src/mirror/registry/errors.js';
import { createEvent, deleteEvent, Harness, updateEvent, type Properties } from './fixtures/harness.js';
import { ResponseServer } from '../../support/response-server.js';
import { SOURCE, SOURCE_AMD64, SOURCE_ARM64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from './fixtures/scenario.js';
import { ACCOUNT, AwsWorld, BLACK_HOLE, digestOf, ECR_HOST, REGION, serviceError } from './fixtures/world.js';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;
/** Far more than any chain needs; a chain this long means the function never converges. */
const MAX_INVOCATIONS = 80;

type FaultKind = 'throttled' | 'limit' | 'denied' | 'server' | 'network' | 'unreachable' | 'rate-limited' | 'bug' | 'black-hole';

function faultFor(kind: FaultKind, operation: string): Error {
  switch (kind) {
    case 'black-hole':
      return BLACK_HOLE;
    case 'throttled':
      return serviceError('ThrottlingException', `Rate exceeded (${operation})`);
    case 'limit':
      return new AccountLimitExceededException({ message: 'Cannot have more than 60 active builds', $metadata: {} });
    case 'denied':
      return serviceError('AccessDeniedException', `not authorized to perform ${operation}`);
    case 'server':
      return serviceError('InternalFailure', 'internal error', 500);
    case 'network':
      return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    case 'unreachable':
      return new RegistryUnreachableError({ registry: 'quay.io', repository: 'x', reference: 'y' }, 'https://quay.io/v2/', 'connect ETIMEDOUT');
    case 'rate-limited':
      return new RegistryRateLimitedError({ registry: 'quay.io', repository: 'x', reference: 'y' }, undefined);
    case 'bug':
      return new TypeError("Cannot read properties of undefined (reading 'id')");
  }
}

const OPERATIONS = [
  'Registry.resolvePlatform',
  'Registry.headManifest',
  'ECR.GetAuthorizationToken',
  'ECR.CreateRepository',
  'ECR.GetRepositoryPolicy',
  'ECR.SetRepositoryPolicy',
  'ECR.DescribeImages',
  'CodeBuild.StartBuild',
  'CodeBuild.BatchGetBuilds',
  'CodeBuild.StopBuild',
  'Logs.GetLogEvents',
  'Lambda.Invoke',
  'SecretsManager.GetSecretValue',
] as const;

const faultKind = fc.constantFrom<FaultKind>('throttled', 'limit', 'denied', 'server', 'network', 'unreachable', 'rate-limited', 'bug', 'black-hole');

const scenario = fc.record({
  request: fc.constantFrom('create', 'update-same', 'update-new', 'delete'),
  source: fc.constantFrom('mirror', 'missing', 'amd64-only', 'private', 'in-region'),
  architecture: fc.constantFrom('x86_64', 'arm64'),
  target: fc.constantFrom('none', 'repository', 'image', 'foreign-policy'),
  buildStatuses: fc.tuple(fc.nat({ max: 14 }), fc.constantFrom('SUCCEEDED', 'SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT')),
  wrongDigest: fc.boolean(),
  withSecret: fc.boolean(),
  budgetMs: fc.oneof(fc.integer({ min: 20_000, max: 150_000 }), fc.constant(900_000)),
  serviceTimeout: fc.integer({ min: 30, max: 3600 }),
  /**
   * Per operation, its successive calls: undefined passes, a kind fails that call. Keyed by operation so
   * that late calls (the self-invoke, StopBuild, the log tail) fail about as often as early ones.
   */
  faults: fc.dictionary(
    fc.constantFrom(...OPERATIONS),
    fc.array(fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: faultKind, weight: 1 }), { maxLength: 8 }),
    { maxKeys: 6 },
  ),
  /** Refused PUTs before CloudFormation accepts one (the sender tries five times). */
  putFailures: fc.nat({ max: 4 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Always run (besides the random ones): the deepest paths, so every run of the suite reaches them. */
const EXAMPLES: Scenario[] = [
  // The self-invoke fails at the first hand-over.
  {
    request: 'create',
    source: 'mirror',
    architecture: 'x86_64',
    target: 'none',
    buildStatuses: [8, 'SUCCEEDED'],
    wrongDigest: false,
    withSecret: false,
    budgetMs: 70_000,
    serviceTimeout: 3600,
    faults: { 'Lambda.Invoke': ['denied'] },
    putFailures: 0,
  },
  // Hand-overs until the deadline; stopping the build fails; four PUTs are refused.
  {
    request: 'update-new',
    source: 'private',
    architecture: 'arm64',
    target: 'foreign-policy',
    buildStatuses: [14, 'SUCCEEDED'],
    wrongDigest: false,
    withSecret: true,
    budgetMs: 30_000,
    serviceTimeout: 90,
    faults: { 'CodeBuild.StopBuild': ['server'] },
    putFailures: 4,
  },
  // A failed build whose log cannot be read, after throttled starts and a failed poll.
  {
    request: 'create',
    source: 'mirror',
    architecture: 'arm64',
    target: 'repository',
    buildStatuses: [2, 'FAILED'],
    wrongDigest: false,
    withSecret: false,
    budgetMs: 900_000,
    serviceTimeout: 3600,
    faults: { 'Logs.GetLogEvents': ['denied'], 'CodeBuild.StartBuild': ['throttled', 'limit'], 'CodeBuild.BatchGetBuilds': [undefined, 'network'] },
    putFailures: 1,
  },
];

const PRIVATE = 'registry.example.com/team/tool:2';
const IN_REGION = `${ECR_HOST}/apps/worker:1`;

function setUp(world: AwsWorld, sc: Scenario): Properties {
  world.addImage(SOURCE, { digests: { x86_64: SOURCE_AMD64, arm64: SOURCE_ARM64 } });
  world.addImage('quay.io/sysdig/amd64-only:1', { digests: { x86_64: digestOf('amd64-only') } });
  world.addImage(PRIVATE, { digests: { x86_64: digestOf('tool'), arm64: digestOf('tool arm') }, requires: { username: 'u', password: 'pw-123456' } });
  world.addImage(IN_REGION, { digests: { x86_64: digestOf('worker') } });
  world.secretString = JSON.stringify({ 'registry.example.com': { username: 'u', password: 'pw-123456' } });
  if (sc.target === 'repository') world.addRepository(TARGET_REPOSITORY);
  if (sc.target === 'image') world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: ['6.2.0'], [SOURCE_ARM64]: ['6.2.0-arm64'] } });
  if (sc.target === 'foreign-policy') {
    world.addRepository(TARGET_REPOSITORY, {
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Other', Effect: 'Deny', Principal: '*', Action: 'ecr:*' }] }),
    });
  }
  const [inProgress, final] = sc.buildStatuses;
  world.buildScript = {
    statuses: [...Array<string>(inProgress).fill('IN_PROGRESS'), final],
    ...(sc.wrongDigest ? { exportedDigest: digestOf('unexpected') } : {}),
    phases: [{ phaseType: 'BUILD', phaseStatus: final, contexts: [{ message: 'exit status 1' }] }],
    logLines: ['copying', 'failed'],
  };
  const calls = new Map<string, number>();
  world.fault = (operation) => {
    const nth = calls.get(operation) ?? 0;
    calls.set(operation, nth + 1);
    const kind = sc.faults[operation]?.[nth];
    return kind === undefined ? undefined : faultFor(kind, operation);
  };
  const sourceImage = { mirror: SOURCE, missing: 'quay.io/sysdig/none:0', 'amd64-only': 'quay.io/sysdig/amd64-only:1', private: PRIVATE, 'in-region': IN_REGION }[sc.source];
  return { SourceImage: sourceImage, Architecture: sc.architecture, ServiceTimeout: String(sc.serviceTimeout) };
}

function eventFor(sc: Scenario, url: string, properties: Properties): unknown {
  const oldId = `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`;
  switch (sc.request) {
    case 'create':
      return createEvent(url, properties);
    case 'update-same':
      return updateEvent(url, oldId, properties, properties);
    case 'update-new':
      return updateEvent(url, oldId, properties, { ...properties, SourceImage: 'quay.io/sysdig/serverless-patcher:6.1.0' });
    default:
      return deleteEvent(url, oldId, properties);
  }
}

describe('Property: the mirror handler answers exactly once under faults', () => {
  let server: ResponseServer;
  beforeAll(async () => {
    server = await ResponseServer.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('every invocation answers once or hands over once; every request ends in one answer; nothing throws', { timeout: 240_000 }, async () => {
    // What the generated runs covered: the property is only as good as the paths it reached.
    const seen = { handovers: 0, success: 0, failed: 0, faulted: 0, retriedPuts: 0, failedInvokes: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const world = new AwsWorld();
        try {
          const properties = setUp(world, sc);
          const harness = new Harness(world, server, {
            env: sc.withSecret ? { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN } : {},
          });
          const url = server.url();
          server.failNextPuts(sc.putFailures);
          let event: unknown = eventFor(sc, url, properties);
          for (let invocation = 1; ; invocation++) {
            const answersBefore = server.answersFor(url).length;
            const invokesBefore = world.deliveredInvokes.length;
            const startedAt = harness.clock.now();
            const { threw } = await harness.invoke(event, { budgetMs: sc.budgetMs });
            expect(threw).toBeUndefined();
            // Within its budget, whatever did not answer, and with no timer left behind.
            expect(harness.clock.now() - startedAt).toBeLessThanOrEqual(sc.budgetMs);
            expect(harness.clock.pendingTimers()).toBe(0);
            const answers = server.answersFor(url).length - answersBefore;
            const invokes = world.deliveredInvokes.length - invokesBefore;
            expect([answers, invokes]).toSatisfy(([a, i]: number[]) => (a === 1 && i === 0) || (a === 0 && i === 1));
            if (answers === 1) break;
            expect(invocation).toBeLessThan(MAX_INVOCATIONS);
            event = world.deliveredInvokes.at(-1);
          }
          const [answer] = server.answersFor(url);
          seen.handovers += world.deliveredInvokes.length;
          seen[answer!.Status === 'SUCCESS' ? 'success' : 'failed']++;
          if (Object.values(sc.faults).some((list) => list.some((f) => f !== undefined))) seen.faulted++;
          if (server.attemptsFor(url).length > 1) seen.retriedPuts++;
          seen.failedInvokes += world.operations.filter((op) => op === 'Lambda.Invoke').length - world.deliveredInvokes.length;
          expect(server.answersFor(url)).toHaveLength(1);
          if (sc.request === 'delete') expect(answer!.Status).toBe('SUCCESS');
          if (answer!.Status === 'SUCCESS' && sc.request !== 'delete') {
            expect(answer!.Data.ImageUri).toBe(answer!.PhysicalResourceId);
            expect(answer!.PhysicalResourceId).not.toMatch(/:[^/@]+@sha256:/);
          }
          expect(harness.logText()).not.toContain(new URL(url).searchParams.get('X-Amz-Signature'));
        } finally {
          server.failNextPuts(0);
          world.restore();
        }
      }),
      { numRuns: 300, examples: EXAMPLES.map((example) => [example] as [Scenario]) },
    );
    expect(seen.handovers).toBeGreaterThan(0);
    expect(seen.success).toBeGreaterThan(0);
    expect(seen.failed).toBeGreaterThan(0);
    expect(seen.faulted).toBeGreaterThan(0);
    expect(seen.retriedPuts).toBeGreaterThan(0);
    expect(seen.failedInvokes).toBeGreaterThan(0);
  });
});
