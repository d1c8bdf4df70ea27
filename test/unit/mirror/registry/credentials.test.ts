// The credentials provider on its own (credentials.ts): the secret's entry for a host, what a secret of the wrong
// shape is told (never its content), the ECR token of a private ECR registry's region and how long it is reused, and
// a failed secret read, which is not kept. The sources are scripted: what the provider asks them is recorded.
import { describe, expect, it } from 'vitest';
import { RegistryCredentialsError } from '../../../../src/mirror/core/errors.js';
import { createCredentialsProvider, type CredentialSources } from '../../../../src/mirror/registry/credentials.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf';
const ECR_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

function sources(options: { secret?: () => Promise<string | undefined>; ecrToken?: (region: string) => Promise<string | undefined>; secretArn?: string } = {}) {
  const asked: string[] = [];
  let time = 0;
  const scripted: CredentialSources = {
    secretArn: 'secretArn' in options ? options.secretArn : ARN,
    readSecret: async (secretArn) => {
      asked.push(`secret ${secretArn}`);
      return (options.secret ?? (async () => '{}'))();
    },
    ecrToken: async (region) => {
      asked.push(`ecr ${region}`);
      return (options.ecrToken ?? (async () => Buffer.from('AWS:ecr-password').toString('base64')))(region);
    },
    now: () => time,
  };
  return { provider: createCredentialsProvider(scripted), asked, advance: (ms: number) => (time += ms) };
}

async function secretProblem(secret: string | undefined): Promise<RegistryCredentialsError> {
  const { provider } = sources({ secret: async () => secret });
  const error = await provider('quay.io').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryCredentialsError);
  return error as RegistryCredentialsError;
}

const SHAPE = `Registry credentials secret ${ARN} is not JSON of the form {"<registry host>": {"username": "...", "password": "..."}}`;

describe('Function: createCredentialsProvider (the secret)', () => {
  it.each([
    ['no SecretString', undefined, `Registry credentials secret ${ARN} has no SecretString; store the credentials as JSON text`],
    ['text that is not JSON', 'user:pass', SHAPE],
    ['a JSON list', '[{"username": "u", "password": "p"}]', SHAPE],
    ['an entry that is not an object', '{"quay.io": "u:p"}', `${SHAPE} (the entry for "quay.io" is not)`],
    ['an entry without a username', '{"quay.io": {"user": "u", "password": "p"}}', `${SHAPE} (the entry for "quay.io" is not)`],
    ['an entry without a password', '{"quay.io": {"username": "u", "pass": "p"}}', `${SHAPE} (the entry for "quay.io" is not)`],
    ['an entry whose password is not text', '{"quay.io": {"username": "u", "password": 7}}', `${SHAPE} (the entry for "quay.io" is not)`],
  ])('refuses a secret with %s, in words', async (_case, secret, message) => {
    expect((await secretProblem(secret)).message).toBe(message);
  });

  it('names a bad entry by at most 100 characters of its host', async () => {
    const host = 'h'.repeat(150);

    expect((await secretProblem(JSON.stringify({ [host]: null }))).message).toBe(`${SHAPE} (the entry for "${'h'.repeat(100)}" is not)`);
  });

  it("takes Docker Hub's entry under its registry API host too, in any case", async () => {
    for (const key of ['registry-1.docker.io', 'Registry-1.Docker.IO', 'index.docker.io', 'docker.io']) {
      const { provider } = sources({ secret: async () => JSON.stringify({ [key]: { username: 'u', password: 'p' } }) });
      expect([key, await provider('docker.io')]).toEqual([key, { username: 'u', password: 'p' }]);
    }
  });

  it('reports a failed read with its cause, and reads again on the next request', async () => {
    const denied = new Error('AccessDeniedException: not authorized');
    let fail = true;
    const { provider, asked } = sources({
      secret: async () => {
        if (fail) throw denied;
        return JSON.stringify({ 'quay.io': { username: 'u', password: 'p' } });
      },
    });

    const error = await provider('quay.io').catch((e: unknown) => e);
    fail = false;

    expect(error).toBeInstanceOf(RegistryCredentialsError);
    expect((error as Error).cause).toBe(denied);
    expect(await provider('quay.io')).toEqual({ username: 'u', password: 'p' });
    expect(asked).toEqual([`secret ${ARN}`, `secret ${ARN}`]);
  });
});

describe('Function: createCredentialsProvider (private ECR)', () => {
  it('uses the ECR token of the registry region for an hour of the clock, then gets a new one', async () => {
    const { provider, asked, advance } = sources({ secretArn: undefined });

    expect(await provider(ECR_HOST)).toEqual({ username: 'AWS', password: 'ecr-password' });
    advance(60 * 60 * 1000 - 1);
    await provider(ECR_HOST);
    expect(asked).toEqual(['ecr eu-west-1']);
    advance(1);
    await provider(ECR_HOST);
    expect(asked).toEqual(['ecr eu-west-1', 'ecr eu-west-1']);
  });

  it.each([
    ['no token', undefined],
    ['a token without a user name', Buffer.from(':password').toString('base64')],
    ['a token without a colon', Buffer.from('AWSpassword').toString('base64')],
  ])('refuses %s in words', async (_case, token) => {
    const { provider } = sources({ secretArn: undefined, ecrToken: async () => token });

    await expect(provider(ECR_HOST)).rejects.toThrow(/^ECR GetAuthorizationToken returned no usable token$/);
  });
});
