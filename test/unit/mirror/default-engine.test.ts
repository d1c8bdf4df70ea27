// With CopyEngine at its default (codebuild), the mirror function makes exactly the calls it made before the second
// engine existed. The golden file was recorded from main's code (before issue 19) by running this file with
// SYSDIG_WRITE_GOLDEN=1; it lists, per scenario, every AWS call with its input, every registry call and every answer,
// in order. Volatile values (build ids) are replaced by placeholders; everything else is fixed (request ids,
// ResponseURL, the virtual clock), so the comparison is exact.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEvent, deleteEvent, updateEvent, type Properties } from './fixtures/harness.js';
import { baseProperties, SOURCE, SOURCE_AMD64, SOURCE_ARM64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, useScenario, type Scenario } from './fixtures/scenario.js';
import { ACCOUNT, digestOf, ECR_HOST, REGION } from './fixtures/world.js';

const GOLDEN = new URL('./fixtures/default-engine.golden.json', import.meta.url).pathname;
const RESPONSE_URL = 'https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/fixed?X-Amz-Signature=0123456789abcdef';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;
const INDEX = digestOf('serverless-patcher 6.2.0 index');

interface Recording {
  aws: { operation: string; input: unknown }[];
  registry: { method: string; image: string; credentials: boolean }[];
  answers: unknown[];
}

type Step = (s: Scenario, invoke: (event: unknown, budgetMs?: number) => Promise<void>) => Promise<void>;

function fixed<T extends { RequestId: string }>(event: T, id: string): T {
  return { ...event, RequestId: id };
}

const create = (properties: Properties, id = 'request-1') => fixed(createEvent(RESPONSE_URL, properties), id);

const SCENARIOS: Record<string, Step> = {
  'Create: one platform copied by a build': async (_s, invoke) => invoke(create(baseProperties)),
  'Create: the image is already in the target': async (s, invoke) => {
    s.world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: ['6.2.0'] } });
    await invoke(create(baseProperties));
  },
  'Create: Platforms all': async (s, invoke) => {
    s.world.addImage(SOURCE, { digests: { x86_64: SOURCE_AMD64, arm64: SOURCE_ARM64 }, index: INDEX });
    await invoke(create({ SourceImage: SOURCE, Platforms: 'all' }));
  },
  'Create: the build fails': async (s, invoke) => {
    s.world.buildScript = { statuses: ['FAILED'], logLines: ['ERROR: copy failed', 'Mirroring failed'] };
    await invoke(create(baseProperties));
  },
  'Create: the build outlasts the invocation (hand-over, then the continuation)': async (s, invoke) => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    await invoke(create(baseProperties), 100_000);
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    await invoke(s.world.deliveredInvokes.at(-1));
  },
  'Create: a private source with the credentials secret': async (s, invoke) => {
    s.world.secretString = JSON.stringify({ 'registry.example.com': { username: 'u', password: 'p' } });
    s.world.addImage('registry.example.com/team/private:1', { digests: { x86_64: SOURCE_AMD64 }, requires: { username: 'u', password: 'p' } });
    await invoke(create({ ...baseProperties, SourceImage: 'registry.example.com/team/private:1' }));
  },
  'Create: IMMUTABLE repositories': async (_s, invoke) => invoke(create(baseProperties)),
  'Create: the source registry cannot be read (the build resolves it)': async (s, invoke) => {
    s.world.fault = (op) => (op === 'Registry.resolvePlatform' ? new Error('connection refused') : undefined);
    await invoke(create(baseProperties));
  },
  'Create: the source does not exist': async (_s, invoke) => invoke(create({ ...baseProperties, SourceImage: 'quay.io/sysdig/missing:1' })),
  'Create: the source already is private ECR in this region': async (s, invoke) => {
    s.world.addImage(`${ECR_HOST}/team/app:1`, { digests: { x86_64: SOURCE_AMD64 } });
    await invoke(create({ ...baseProperties, SourceImage: `${ECR_HOST}/team/app:1` }));
  },
  'Update: unchanged, then changed': async (_s, invoke) => {
    const physical = `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`;
    await invoke(fixed(updateEvent(RESPONSE_URL, physical, baseProperties, baseProperties), 'request-2'));
    await invoke(fixed(updateEvent(RESPONSE_URL, physical, { ...baseProperties, Architecture: 'arm64' }, baseProperties), 'request-3'));
  },
  Delete: async (_s, invoke) => invoke(fixed(deleteEvent(RESPONSE_URL, `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, baseProperties), 'request-4')),
};

const ENVIRONMENTS: Record<string, Record<string, string>> = {
  'Create: a private source with the credentials secret': { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN },
  'Create: IMMUTABLE repositories': { IMAGE_TAG_MUTABILITY: 'IMMUTABLE' },
};

/** Build ids are random: numbered in order of appearance. */
function normalise(value: unknown, buildIds: readonly string[]): unknown {
  let text = JSON.stringify(value);
  buildIds.forEach((id, index) => {
    text = text.split(id.split(':')[1]!).join(`build-${index + 1}`);
  });
  return JSON.parse(text);
}

async function record(s: Scenario, name: string): Promise<Recording> {
  const answers: string[] = [];
  const harness = s.reconfigure({
    env: ENVIRONMENTS[name] ?? {},
    putResponse: () => async (_url, body) => {
      answers.push(body);
    },
  });
  await SCENARIOS[name]!(s, async (event, budgetMs) => {
    const { threw } = await harness.invoke(event, budgetMs !== undefined ? { budgetMs } : {});
    expect(threw).toBeUndefined();
  });
  const recording: Recording = {
    aws: s.world.calls.map(({ operation, input }) => ({ operation, input: operation === 'Lambda.Invoke' ? { ...(input as object), Payload: '<payload>' } : input })),
    registry: s.world.registryCalls.map(({ method, image, credentials }) => ({ method, image, credentials: credentials !== undefined })),
    answers: answers.map((body) => JSON.parse(body)),
  };
  return normalise(
    recording,
    s.world.builds.map((build) => build.id),
  ) as Recording;
}

describe('Function: handler with CopyEngine at its default', () => {
  const s = useScenario();
  const recorded: Record<string, Recording> = {};
  const golden: Record<string, Recording> | undefined = existsSync(GOLDEN) ? JSON.parse(readFileSync(GOLDEN, 'utf8')) : undefined;

  for (const name of Object.keys(SCENARIOS)) {
    it(`${name}: the same AWS calls, registry calls and answers as before the function engine`, async () => {
      recorded[name] = await record(s, name);
      expect(recorded[name]!.answers.length).toBeGreaterThan(0);
      if (process.env.SYSDIG_WRITE_GOLDEN === '1') {
        writeFileSync(GOLDEN, `${JSON.stringify({ ...(existsSync(GOLDEN) ? JSON.parse(readFileSync(GOLDEN, 'utf8')) : {}), [name]: recorded[name] }, null, 1)}\n`);
        return;
      }
      expect(golden, `${GOLDEN} is missing`).toBeDefined();
      expect(recorded[name]).toEqual(golden![name]);
    });
  }
});
