// A credentials secret the function cannot use, with the REAL registry client between the handler and the
// registry (fixtures/world.ts has a stand-in for it elsewhere). The real client asks for credentials only when the
// registry challenges it, and wraps whatever the credentials provider throws as the `cause` of its own error: the
// lifecycle must still see that the secret is at fault and fail at once naming it, without starting a build that
// would fail later on the same secret.
import { describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/mirror/registry/client.js';
import type { RegistryFactory } from '../../../src/mirror/ports/types.js';
import { createEvent } from './fixtures/harness.js';
import { onlyAnswer, useScenario } from './fixtures/scenario.js';
import { ACCOUNT, REGION, serviceError } from './fixtures/world.js';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;
const HOST = 'registry.example.com';
const SOURCE = `${HOST}/team/private:1`;
/** The operator's endpoint map names the host, so the client talks to it through the scripted fetch below. */
const ENDPOINTS = JSON.stringify({ [HOST]: `https://${HOST}` });

type Challenge = 'Basic' | 'Bearer';

/** A private registry that challenges every request without credentials (no socket: a scripted fetch). */
function privateRegistry(challenge: Challenge): RegistryFactory {
  const challengeHeader = challenge === 'Basic' ? 'Basic realm="private"' : `Bearer realm="https://${HOST}/token",service="${HOST}"`;
  const fetchStub = (async () =>
    new Response(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }), {
      status: 401,
      headers: { 'content-type': 'application/json', 'www-authenticate': challengeHeader },
    })) as typeof fetch;
  // A documentation address for the name: the client resolves (and pins) every host before it connects.
  return (options) => new RegistryClient({ ...options, fetch: fetchStub, lookup: async () => ['203.0.113.7'] });
}

describe('Function: handler (a credentials secret it cannot use, through the real registry client)', () => {
  const s = useScenario();

  it.each(['Basic', 'Bearer'] as const)('fails at once naming the unreadable secret when the registry asks for %s credentials; no build', async (challenge) => {
    const harness = s.reconfigure({ env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN, REGISTRY_ENDPOINTS: ENDPOINTS }, registry: () => privateRegistry(challenge) });
    s.world.fault = (operation) =>
      operation === 'SecretsManager.GetSecretValue' ? serviceError('AccessDeniedException', 'not authorized to perform secretsmanager:GetSecretValue') : undefined;
    const url = s.newUrl();
    await harness.invoke(createEvent(url, { SourceImage: SOURCE, Architecture: 'x86_64' }));

    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(SECRET_ARN);
    expect(answer.Reason).toContain('AccessDeniedException');
    expect(answer.Reason).toContain('secretsmanager:GetSecretValue');
    expect(s.world.builds).toHaveLength(0);
    expect(s.world.repositories.size).toBe(0);
  });

  it.each(['Basic', 'Bearer'] as const)('fails at once naming a secret of the wrong shape when the registry asks for %s credentials; no build', async (challenge) => {
    const leaked = 'hunter2-do-not-print';
    s.world.secretString = JSON.stringify({ [HOST]: { user: 'u', pass: leaked } });
    const harness = s.reconfigure({ env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN, REGISTRY_ENDPOINTS: ENDPOINTS }, registry: () => privateRegistry(challenge) });
    const url = s.newUrl();
    await harness.invoke(createEvent(url, { SourceImage: SOURCE, Architecture: 'x86_64' }));

    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`${SECRET_ARN} is not JSON of the form`);
    expect(answer.Reason).not.toContain(leaked);
    expect(harness.logText()).not.toContain(leaked);
    expect(s.world.builds).toHaveLength(0);
  });
});
