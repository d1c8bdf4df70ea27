// Malformed events and bad properties: answered exactly once where a ResponseURL exists, never thrown,
// and a bad SourceImage is rejected before anything runs.
import { describe, expect, it } from 'vitest';
import { createEvent, deleteEvent, STACK_ID } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, useScenario } from './fixtures/scenario.js';

describe('Function: handler (unanswerable events)', () => {
  const s = useScenario();

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Create'],
    ['a number', 42],
    ['a list', [{ RequestType: 'Create' }]],
    ['an empty object', {}],
    ['a Create without ResponseURL', { RequestType: 'Create', StackId: STACK_ID, RequestId: 'r', LogicalResourceId: 'L', ResourceProperties: {} }],
    ['a ResponseURL that is not http(s)', { RequestType: 'Delete', ResponseURL: 'file:///etc/passwd', PhysicalResourceId: 'x' }],
    ['a ResponseURL that is not a URL', { RequestType: 'Delete', ResponseURL: 'not a url', PhysicalResourceId: 'x' }],
  ])('logs %s without throwing, answering or calling AWS', async (_label, event) => {
    const requestsBefore = s.server.requests.length;
    const { threw } = await s.harness.invoke(event);
    expect(threw).toBeUndefined();
    expect(s.server.requests).toHaveLength(requestsBefore);
    expect(s.world.operations).toEqual([]);
    expect(s.harness.logText()).toContain('cannot answer this event');
  });
});

describe('Function: handler (malformed requests)', () => {
  const s = useScenario();

  it('answers FAILED for an unknown RequestType, with a placeholder id', async () => {
    const url = s.newUrl();
    await s.harness.invoke({ ...createEvent(url, baseProperties), RequestType: 'Upsert' });
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('RequestType "Upsert"');
    expect(answer.PhysicalResourceId).toMatch(/^sysdig-image-fix-failed-/);
    expect(s.world.operations).toEqual([]);
  });

  it('answers FAILED naming what a Create lacks, echoing what it has', async () => {
    const url = s.newUrl();
    const event = { ...createEvent(url, baseProperties), StackId: undefined, ResourceProperties: 'oops' };
    await s.harness.invoke(event);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('StackId');
    expect(answer.Reason).toContain('ResourceProperties');
    expect(answer.RequestId).toBe(event.RequestId);
    expect(answer.StackId).toBe('');
  });

  it('answers SUCCESS for a malformed Delete so a rollback cannot hang', async () => {
    const url = s.newUrl();
    await s.harness.invoke({ ...deleteEvent(url, 'old-id', baseProperties), LogicalResourceId: 7 });
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'old-id' });
  });

  it('answers Delete SUCCESS even with properties that would be invalid', async () => {
    const url = s.newUrl();
    await s.harness.invoke(deleteEvent(url, 'some-id', { SourceImage: 'a;rm -rf /', Bogus: 'x' }));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'some-id' });
    expect(s.world.operations).toEqual([]);
  });

  it('answers FAILED when the Lambda context has no function ARN', async () => {
    const url = s.newUrl();
    const { threw } = await s.harness.invoke(createEvent(url, baseProperties), { context: {} });
    expect(threw).toBeUndefined();
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('invokedFunctionArn');
  });
});

describe('Function: handler (bad properties)', () => {
  const s = useScenario();

  it.each([
    ['hostile SourceImage', { SourceImage: 'a;rm -rf /' }, ['SourceImage is invalid image reference', "';'"]],
    ['SourceImage with a newline', { SourceImage: 'quay.io/x/y:1\necho pwned' }, ['SourceImage', 'line break']],
    ['SourceImage with $( )', { SourceImage: 'quay.io/x/$(id):1' }, ['SourceImage', "'$'"]],
    ['missing SourceImage', { Architecture: 'x86_64' }, ['SourceImage is required']],
    ['SourceImage not a string', { SourceImage: { 'Fn::Sub': 'x' } }, ['SourceImage must be an image reference string, not an object']],
    ['unknown property', { ...baseProperties, Foo: 'bar', Tagz: 'x' }, ['"Foo" is not a property', '"Tagz" is not a property']],
    ['bad Architecture', { ...baseProperties, Architecture: 'sparc' }, ['Architecture must be x86_64 or arm64, not "sparc"']],
    ['both RepositoryName and RepositoryPrefix', { ...baseProperties, RepositoryName: 'a/b', RepositoryPrefix: 'c' }, ['RepositoryName and RepositoryPrefix are both set']],
    ['invalid RepositoryName', { ...baseProperties, RepositoryName: 'Upper/Case' }, ['RepositoryName', 'not an ECR repository name']],
    ['invalid RepositoryPrefix', { ...baseProperties, RepositoryPrefix: '-x-' }, ['RepositoryPrefix']],
    ['ServiceTimeout not a number', { ...baseProperties, ServiceTimeout: 'soon' }, ['ServiceTimeout must be a whole number of seconds from 1 to 3600, not "soon"']],
    ['ServiceTimeout too large', { ...baseProperties, ServiceTimeout: '7200' }, ['ServiceTimeout', '"7200"']],
    ['several problems at once', { SourceImage: 'UPPER', Architecture: 'mips', ServiceTimeout: '0' }, ['SourceImage', 'Architecture', 'ServiceTimeout']],
  ])('answers FAILED for %s before any call', async (_label, properties, expected) => {
    const url = s.newUrl();
    const { threw } = await s.harness.invoke(createEvent(url, properties));
    expect(threw).toBeUndefined();
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toMatch(/^sysdig-image-fix-failed-/);
    for (const text of expected) expect(answer.Reason).toContain(text);
    expect(s.world.operations).toEqual([]);
    expect(s.world.awsCallCount()).toBe(0);
  });

  it('answers FAILED when the derived repository name cannot fit ECR', async () => {
    const url = s.newUrl();
    const longPath = Array.from({ length: 5 }, (_, i) => `component-${i}-${'x'.repeat(30)}`).join('/');
    await s.harness.invoke(createEvent(url, { SourceImage: `quay.io/${longPath}:1`, RepositoryPrefix: `sysdig-image-fix/${'p'.repeat(60)}` }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('ECR allows 256');
    expect(s.world.operations).toEqual([]);
  });
});
