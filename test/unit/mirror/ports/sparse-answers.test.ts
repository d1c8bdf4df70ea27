// The ports when AWS answers with less than the usual shape (a list left out, an empty list, a tag without a key),
// and which SDK clients they use: one ECR client per other region, the one the test's factory made or a real one for
// that region, and the real registry client when no stand-in is given.
import { BatchGetBuildsCommand, CodeBuildClient, ListBuildsForProjectCommand } from '@aws-sdk/client-codebuild';
import { ECRClient, GetAuthorizationTokenCommand, ListTagsForResourceCommand, type Tag } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAwsPorts } from '../../../../src/mirror/ports/aws.js';
import { codeBuildPorts } from '../../../../src/mirror/ports/codebuild.js';
import { ecrAuthorizationToken, ecrPorts } from '../../../../src/mirror/ports/ecr.js';
import { RegistryClient } from '../../../../src/mirror/registry/client.js';
import { unboundedCall } from '../../../support/call-context.js';
import { serviceError } from '../fixtures/world.js';
import { mirrorConfig, portsWithCredentials } from '../fixtures/ports-credentials.js';

const ecrMock = mockClient(ECRClient);
const codeBuildMock = mockClient(CodeBuildClient);
afterEach(() => {
  ecrMock.reset();
  codeBuildMock.reset();
});
afterAll(() => {
  ecrMock.restore();
  codeBuildMock.restore();
});

const call = unboundedCall();
const OTHER_REGION_ECR = '210987654321.dkr.ecr.us-west-2.amazonaws.com';
const TOKEN = Buffer.from('AWS:token').toString('base64');

/** The credentials the ports give the registry client for a host. */
function credentialsOf(ecrInRegion?: (region: string) => ECRClient): (host: string) => Promise<unknown> {
  return portsWithCredentials({}, ecrInRegion).credentials;
}

describe('Function: createAwsPorts (ECR clients of other regions)', () => {
  it("asks the token of another region through the client the factory made, and makes that region's client once", async () => {
    const made: ECRClient[] = [];
    const used: unknown[] = [];
    ecrMock
      .on(GetAuthorizationTokenCommand)
      .callsFakeOnce((_input, getClient) => {
        used.push(getClient());
        throw serviceError('ThrottlingException', 'Rate exceeded');
      })
      .callsFake((_input, getClient) => {
        used.push(getClient());
        return { authorizationData: [{ authorizationToken: TOKEN }] };
      });
    const credentials = credentialsOf((region) => {
      const client = new ECRClient({ region });
      made.push(client);
      return client;
    });
    // The first read fails (nothing is kept), so the second asks again: through the same client.
    await expect(credentials(OTHER_REGION_ECR)).rejects.toThrow();
    expect(await credentials(OTHER_REGION_ECR)).toEqual({ username: 'AWS', password: 'token' });
    expect(made).toHaveLength(1);
    expect(used).toEqual([made[0], made[0]]);
  });

  it("makes a client of the registry's region when no factory is given", async () => {
    const regions: string[] = [];
    ecrMock.on(GetAuthorizationTokenCommand).callsFake(async (_input, getClient) => {
      regions.push(await (getClient() as ECRClient).config.region());
      return { authorizationData: [{ authorizationToken: TOKEN }] };
    });
    expect(await credentialsOf()(OTHER_REGION_ECR)).toEqual({ username: 'AWS', password: 'token' });
    expect(regions).toEqual(['us-west-2']);
  });

  it('makes the real registry client when no stand-in is given', () => {
    expect(createAwsPorts(mirrorConfig()).registry()).toBeInstanceOf(RegistryClient);
  });
});

describe('Function: codeBuildPorts (sparse answers)', () => {
  const codeBuild = codeBuildPorts(() => new CodeBuildClient({ region: 'eu-west-1' }));

  it('reads a build CodeBuild reports without phases as one without phases, and a variable without a value as absent', async () => {
    codeBuildMock.on(BatchGetBuildsCommand).resolves({
      builds: [{ id: 'copy:1', buildStatus: 'IN_PROGRESS', environment: { environmentVariables: [{ name: 'A', value: '1' }, { name: 'B' }] } as never }],
    });
    const report = await codeBuild.getBuild('copy:1', call);
    expect(report?.phases).toEqual([]);
    expect(Object.keys(report!.environment)).toEqual(['A']);
  });

  it('reads an answer without a builds list as no build', async () => {
    codeBuildMock.on(BatchGetBuildsCommand).resolves({});
    codeBuildMock.on(ListBuildsForProjectCommand).resolves({ ids: ['copy:1'] });
    expect(await codeBuild.getBuild('copy:1', call)).toBeUndefined();
    expect(await codeBuild.recentBuilds('copy', call)).toEqual([]);
  });
});

describe('Function: ecrPorts (sparse answers)', () => {
  const client = new ECRClient({ region: 'eu-west-1' });

  it('reads a tag without a key under the empty key', async () => {
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [{ Value: 'v' } as Tag] });
    expect(await ecrPorts(() => client).repositoryTags('arn:aws:ecr:eu-west-1:123456789012:repository/r', call)).toEqual({ '': 'v' });
  });

  it('reads an empty authorizationData as no token', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [] });
    expect(await ecrAuthorizationToken(client, call)).toBeUndefined();
  });
});
