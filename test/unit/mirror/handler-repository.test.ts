// The repository the function creates, as ECR takes it: ECR refuses a tag value over 256 characters
// (InvalidTagParameterException; the simulated ECR in fixtures/world.ts does too), and an image reference may be
// far longer (a 255-character name, a 128-character tag). The repository's SourceImage tag is a label for people:
// a long source is cut to fit, it never fails the mirror.
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { createEvent } from './fixtures/harness.js';
import { onlyAnswer, useScenario } from './fixtures/scenario.js';
import { digestOf, ECR_HOST } from './fixtures/world.js';

/** ECR's limit for a tag value. */
const TAG_VALUE_MAX = 256;

describe('Function: handler (the repository it creates)', () => {
  const s = useScenario();

  it.each([
    ['far longer than a tag value may be', 287],
    ['one character longer than a tag value may be', 257],
    ['exactly as long as a tag value may be', 256],
  ])('mirrors a source whose reference is %s, with its reference cut to 256 characters as the SourceImage tag', async (_case, length) => {
    // quay.io/team/aaa…:ttt… with the longest tag there is (128 characters).
    const tag = 't'.repeat(128);
    const path = `team/${'a'.repeat(length - 'quay.io/team/:'.length - tag.length)}`;
    const source = `quay.io/${path}:${tag}`;
    expect(source).toHaveLength(length);
    const digest = digestOf(source);
    s.world.addImage(source, { digests: { x86_64: digest } });
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: source, Architecture: 'x86_64' }));

    const repository = `sysdig-image-fix/quay.io/${path}`;
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${ECR_HOST}/${repository}@${digest}` });
    const [create] = s.world.ecr.commandCalls(CreateRepositoryCommand);
    const tags = Object.fromEntries((create!.args[0].input.tags ?? []).map((tag) => [tag.Key, tag.Value]));
    expect(tags).toEqual({ ManagedBy: 'sysdig-image-fix', SourceImage: source.slice(0, TAG_VALUE_MAX) });
    expect(s.world.repositories.has(repository)).toBe(true);
  });
});
