// What the macro answers: the event's `params` are options, and every answer is bounded and serialisable, whatever
// the template holds. Sizes and shapes are asserted, never times.
import { describe, expect, it } from 'vitest';
import { createMacroHandler, MAX_RESPONSE_BYTES, type MacroResponse } from '../../../src/macro/handler.js';
import { MAX_FAILURE_MESSAGE_CHARS } from '../../../src/template/message.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { lambdaImageFunction, MACRO_ENV, macroEvent, mirrorOf, QUAY_IMAGE, recordingLog, stringParameter, templateWith } from './fixtures.js';

const handler = (log = recordingLog()) => createMacroHandler({ env: () => MACRO_ENV, log });

/** What the Lambda runtime does with the answer: it must not throw. */
function serialised(response: MacroResponse): string {
  return JSON.stringify(response);
}

function failureMessage(response: MacroResponse): string {
  if (response.status !== 'failure') expect.fail(`expected a failure, got ${response.status}`);
  return response.errorMessage;
}

describe('Function: macro handler, Transform parameters (the event params)', () => {
  const template = templateWith({ Fn: lambdaImageFunction(QUAY_IMAGE) });

  it('mirrors into the RepositoryPrefix of the params (before: sysdig-image-fix/...)', async () => {
    const response = await handler()(macroEvent(template, { params: { RepositoryPrefix: 'team/mirrors' } }));
    if (response.status !== 'success') expect.fail(failureMessage(response));
    expect(mirrorOf(response.fragment, 'Fn').properties.RepositoryName).toBe('team/mirrors/quay.io/sysdig/serverless-patcher');
  });

  it('fails naming an unknown key of the params (before: success, the key ignored)', async () => {
    const message = failureMessage(await handler()(macroEvent(template, { params: { RepositoryPrefix: 'team/mirrors', Bogus: 1 } })));
    expect(message).toBe(
      'SysdigImageFix found 1 problem: (1) Transform SysdigImageFix: unknown option "Bogus" in Parameters; ' +
        'allowed keys: RepositoryPrefix, Architecture, ServiceTimeout, MirrorParameters, Ecs, Platforms',
    );
  });

  it('takes params as CloudFormation sends them for a plain `Transform: SysdigImageFix` ({} or absent)', async () => {
    const [withEmpty, without] = await Promise.all([handler()(macroEvent(template, { params: {} })), handler()(macroEvent(template, { params: undefined }))]);
    expect(withEmpty).toEqual(without);
    expect(withEmpty.status).toBe('success');
  });
});

/** A template with `names` parameters and a MirrorParameters naming `unknown` parameters it does not declare. */
function unknownParameters(names: number, nameLength: number, unknown: number): JsonObject {
  const parameters: JsonObject = {};
  for (let i = 0; i < names; i += 1) parameters[`P${i}${'x'.repeat(nameLength)}`] = stringParameter('quay.io/a/b:1');
  return templateWith(
    { Fn: lambdaImageFunction(QUAY_IMAGE) },
    { Parameters: parameters, Metadata: { SysdigImageFix: { MirrorParameters: Array.from({ length: unknown }, (_, i) => `Missing${i}`) } } },
  );
}

describe('Function: macro handler, bounded answers', () => {
  it('caps the failure message for 200 long parameter names x 2,000 unknown references (before: 102 MB)', async () => {
    const template = unknownParameters(200, 250, 2_000);
    expect(JSON.stringify(template).length).toBeGreaterThan(50_000);
    const log = recordingLog();
    const message = failureMessage(await handler(log)(macroEvent(template)));
    expect(message.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE_CHARS);
    expect(message).toMatch(
      /^SysdigImageFix found 2000 problems: \(1\) Parameter Missing0 \(MirrorParameters\): there is no such parameter; the template declares P0x+…, P1x+…, /,
    );
    // Each problem lists the first ten declared names and counts the rest; the untold problems are counted too.
    expect(message).toContain('and 190 more');
    expect(message).toMatch(/ … and \d+ more \(sysdig-image-fix transform on the template lists every problem\)$/);
    // The log entry is bounded as well: the first problems, and how many there were.
    const entry = log.entries.find((e) => e.level === 'error')!;
    expect(entry.attributes.problemCount).toBe(2_000);
    expect(JSON.stringify(entry.attributes).length).toBeLessThan(100_000);
  });

  it('caps each problem for a 200 KB logical id with 40 unknown option keys (before: 8 MB)', async () => {
    const id = `F${'a'.repeat(200_000)}`;
    const options = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`Unknown${i}`, i]));
    const template = templateWith({ [id]: lambdaImageFunction(QUAY_IMAGE, { metadata: { SysdigImageFix: options } }) });
    const log = recordingLog();
    const response = await handler(log)(macroEvent(template));
    const message = failureMessage(response);
    expect(message.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE_CHARS);
    // The 40 unknown keys are one problem, naming the first ten.
    expect(message).toMatch(
      /^SysdigImageFix found 1 problem: \(1\) Resource Fa{253}…: unknown options "Unknown0", "Unknown1", .*"Unknown9" and 30 more in Metadata\.SysdigImageFix; allowed keys: Skip, RepositoryPrefix, Architecture, ServiceTimeout$/,
    );
    expect(serialised(response).length).toBeLessThan(MAX_FAILURE_MESSAGE_CHARS + 200);
    expect(JSON.stringify(log.entries).length).toBeLessThan(10_000);
  });

  it('answers failure, naming where, for a value nested too deep to serialise (before: success, then JSON.stringify threw)', async () => {
    let deep: Json = 'bottom';
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    const template = templateWith({ Fn: lambdaImageFunction(QUAY_IMAGE), Deep: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: deep } } });
    expect(() => JSON.stringify(template)).toThrow(RangeError);
    const response = await handler()(macroEvent(template));
    const message = failureMessage(response);
    expect(message).toContain('cannot be written as JSON: Resources.Deep.Properties.Value');
    expect(message).toContain('nested more than 1,000 levels deep');
    expect(() => serialised(response)).not.toThrow();
  });

  it('answers failure when the processed template would be over 1 MB, saying by how much (before: success, refused by CloudFormation)', async () => {
    const functions = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`Fn${i}`, lambdaImageFunction(`quay.io/org/app${i}:1`)]));
    const padding = { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'x'.repeat(1_000_000 - 8_000) } };
    const template = templateWith({ ...functions, Pad: padding });
    expect(Buffer.byteLength(JSON.stringify(template))).toBeLessThan(1_000_000);
    const message = failureMessage(await handler()(macroEvent(template)));
    expect(message).toMatch(
      /the transformed template is 1,00\d,\d{3} bytes as JSON, [\d,]+ over CloudFormation's quota of 1,000,000 bytes \(1 MB\) for a processed template \(SysdigImageFix added [\d,]+\)/,
    );
  });

  it('never answers more than Lambda can return', () => {
    expect(MAX_RESPONSE_BYTES).toBe(6 * 1024 * 1024);
  });
});
