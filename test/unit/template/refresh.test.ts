// Refresh (issue 20) in the transform: which mirrors carry a RefreshToken, where the token comes from (the context:
// the macro's requestId; else a generated parameter the deployer sets), and what the options accept.
import { describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_PARAMETER } from '../../../src/contract.js';
import { createMacroHandler } from '../../../src/macro/handler.js';
import { REFRESH_PARAMETER } from '../../../src/template/refresh.js';
import { transform } from '../../../src/template/transform.js';
import type { JsonObject } from '../../../src/template/types.js';
import { MACRO_ENV, macroEvent, mirrorOf, recordingLog } from '../macro/fixtures.js';
import { context, defaults, expectFailure, expectSuccess, lambdaFunction, mirrorsOf, onlyMirror, QUAY_IMAGE, ref, stringParameter, template } from './fixtures.js';

const refreshAll = { Metadata: { SysdigImageFix: { Refresh: true } } };

describe('Function: transform (Refresh)', () => {
  it('a mirror with Refresh carries the context token; its logical id does not depend on it', () => {
    const input = template({ Fn: lambdaFunction(QUAY_IMAGE) }, refreshAll);
    const firstResult = transform(input, context({ refreshToken: 'request-1' }), defaults());
    const first = expectSuccess(firstResult);
    const second = expectSuccess(transform(input, context({ refreshToken: 'request-2' }), defaults()));
    const [id, mirror] = onlyMirror(first.fragment);
    expect((mirror.Properties as Record<string, unknown>).RefreshToken).toBe('request-1');
    expect(onlyMirror(second.fragment)[0]).toBe(id);
    expect((onlyMirror(second.fragment)[1].Properties as Record<string, unknown>).RefreshToken).toBe('request-2');
    // The macro's template gets no parameter: the token is the literal request id.
    expect(first.fragment.Parameters).toBeUndefined();
    expect(firstResult.warnings).toEqual([]);
  });

  it('without Refresh, and for a source pinned by digest, no token (a digest cannot move)', () => {
    const plain = expectSuccess(transform(template({ Fn: lambdaFunction(QUAY_IMAGE) }), context({ refreshToken: 'r' }), defaults()));
    expect(onlyMirror(plain.fragment)[1].Properties).not.toHaveProperty('RefreshToken');
    const pinned = `quay.io/sysdig/serverless-patcher@sha256:${'ab'.repeat(32)}`;
    const result = expectSuccess(transform(template({ Fn: lambdaFunction(pinned) }, refreshAll), context({ refreshToken: 'r' }), defaults()));
    expect(onlyMirror(result.fragment)[1].Properties).not.toHaveProperty('RefreshToken');
  });

  it('an intrinsic source (known only at deploy time) refreshes; Refresh on one resource only affects its mirror', () => {
    const input = template(
      {
        Moving: lambdaFunction(ref('Image'), { options: { Refresh: true } }),
        Still: lambdaFunction('docker.io/library/nginx:1.27'),
      },
      { Parameters: { Image: stringParameter() } },
    );
    const result = expectSuccess(transform(input, context({ refreshToken: 'r' }), defaults()));
    const tokens = Object.values(mirrorsOf(result.fragment)).map((mirror) => (mirror.Properties as Record<string, unknown>).RefreshToken);
    expect(tokens).toEqual(['r', undefined]);
  });

  it('without a context token (the offline CLI) the mirror reads a generated parameter, with a warning saying to change it', () => {
    const input = template({ Fn: lambdaFunction(QUAY_IMAGE) }, { ...refreshAll, Parameters: { Other: stringParameter('x') } });
    const raw = transform(input, context(), defaults());
    const result = expectSuccess(raw);
    const [id, mirror] = onlyMirror(result.fragment);
    expect((mirror.Properties as Record<string, unknown>).RefreshToken).toEqual({ Ref: REFRESH_TOKEN_PARAMETER });
    expect(result.fragment.Parameters).toEqual({ Other: stringParameter('x'), [REFRESH_TOKEN_PARAMETER]: REFRESH_PARAMETER });
    expect(REFRESH_PARAMETER).not.toHaveProperty('Default');
    expect(raw.warnings).toEqual([{ message: expect.stringContaining(`${id} (Refresh) reads its source tag again only when parameter ${REFRESH_TOKEN_PARAMETER} changes`) }]);
    // Transforming the output again changes nothing (the parameter is ours).
    const again = expectSuccess(transform(result.fragment, context(), defaults()));
    expect(again.fragment).toEqual(result.fragment);
  });

  it('a parameter or resource of that name that is not ours is a conflict, named', () => {
    const taken: [JsonObject, JsonObject][] = [
      [{ Fn: lambdaFunction(QUAY_IMAGE) }, { ...refreshAll, Parameters: { [REFRESH_TOKEN_PARAMETER]: stringParameter('mine') } }],
      [{ Fn: lambdaFunction(QUAY_IMAGE), [REFRESH_TOKEN_PARAMETER]: { Type: 'AWS::SNS::Topic' } }, refreshAll],
    ];
    for (const [resources, sections] of taken) {
      const problems = expectFailure(transform(template(resources, sections), context(), defaults()));
      expect(problems.map((problem) => problem.message)).toEqual([
        expect.stringMatching(new RegExp(`^Template: ${REFRESH_TOKEN_PARAMETER} is taken by another parameter or resource`)),
      ]);
    }
  });

  it('the conflict names every mirror that reads the taken name, and the parameter’s warning is not given with it', () => {
    const resources = { A: lambdaFunction(QUAY_IMAGE), B: lambdaFunction('public.ecr.aws/x/y:1') };
    const sections = { ...refreshAll, Parameters: { [REFRESH_TOKEN_PARAMETER]: stringParameter('mine') } };
    const ids = Object.keys(mirrorsOf(expectSuccess(transform(template(resources), context(), defaults())).fragment));
    const result = transform(template(resources, sections), context(), defaults());
    expect(expectFailure(result).map((problem) => problem.message)).toEqual([expect.stringContaining(`mirrors with Refresh (${ids.join(', ')}) read`)]);
    expect(ids).toHaveLength(2);
    expect(result.warnings).toEqual([]);
  });

  it('two functions sharing a mirror must agree on Refresh', () => {
    const input = template({ A: lambdaFunction(QUAY_IMAGE, { options: { Refresh: true } }), B: lambdaFunction(QUAY_IMAGE) });
    const problems = expectFailure(transform(input, context({ refreshToken: 'r' }), defaults()));
    expect(problems.map((problem) => problem.message)).toEqual([
      expect.stringMatching(/^Resources A and B share image mirror ImageMirror[0-9a-f]{8} .* ask for different Refresh \(true and false\)/),
    ]);
  });

  it('Refresh takes true or false (also as strings) in template and resource Metadata; anything else is an error', () => {
    expect(
      expectSuccess(transform(template({ Fn: lambdaFunction(QUAY_IMAGE, { options: { Refresh: 'true' } }) }), context({ refreshToken: 'r' }), defaults())).fragment,
    ).toBeDefined();
    const off = expectSuccess(
      transform(template({ Fn: lambdaFunction(QUAY_IMAGE, { options: { Refresh: false } }) }, refreshAll), context({ refreshToken: 'r' }), defaults()),
    );
    expect(onlyMirror(off.fragment)[1].Properties).not.toHaveProperty('RefreshToken');
    const problems = expectFailure(transform(template({ Fn: lambdaFunction(QUAY_IMAGE) }, { Metadata: { SysdigImageFix: { Refresh: 'always' } } }), context(), defaults()));
    expect(problems[0]!.message).toContain('option Metadata.SysdigImageFix.Refresh "always" is not valid; allowed values: true, false');
  });
});

describe('Function: macro handler (Refresh)', () => {
  it("passes the event's requestId as the token: every deployment updates the mirror", async () => {
    const invoke = createMacroHandler({ env: () => MACRO_ENV, log: recordingLog() });
    const fragment = template({ Fn: lambdaFunction(QUAY_IMAGE) }, refreshAll);
    const tokens = [];
    for (const requestId of ['7c1e-first', '9a2b-second']) {
      const response = await invoke(macroEvent(fragment, { requestId }));
      if (response.status !== 'success') expect.fail(response.errorMessage);
      tokens.push(mirrorOf(response.fragment, 'Fn').properties.RefreshToken);
    }
    expect(tokens).toEqual(['7c1e-first', '9a2b-second']);
  });
});
