// What a failure says when a registry refuses (classify.ts, errors.ts): the registry's own words in every format
// registries and token services use (cleaned, redacted, cut), the error type a caller branches on, and the message a
// user reads (the image, the answer, what to do).
import { describe, expect, it } from 'vitest';
import { SecretRedactor } from '../../../../src/mirror/log.js';
import { errorForResponse, errorForTransportFailure, readRegistryAnswer } from '../../../../src/mirror/registry/classify.js';
import {
  AddressRefusedError,
  describeImage,
  ManifestNotFoundError,
  ManifestShapeError,
  PlatformNotFoundError,
  RegistryConfigError,
  RegistryError,
  RegistryProtocolError,
  RegistryRateLimitedError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
  TransportError,
  refusalOf,
} from '../../../../src/mirror/registry/errors.js';

const IMAGE = { registry: 'quay.io', repository: 'acme/app', reference: '1.0' };

function answer(body: unknown, contentType = 'application/json', status = 400, headers: Record<string, string> = {}) {
  return {
    status,
    attempts: 1,
    headers: new Headers({ 'content-type': contentType, ...headers }),
    body: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

const read = (body: unknown, contentType?: string, redactor = new SecretRedactor()) => readRegistryAnswer(answer(body, contentType), redactor);

describe('Function: readRegistryAnswer', () => {
  it("reads the distribution spec's errors: codes upper-cased, messages joined once each", () => {
    expect(
      read({
        errors: [
          { code: 'manifest_unknown', message: 'manifest unknown' },
          { code: 'NAME_UNKNOWN', message: 'manifest unknown' },
          { code: 7, message: '' },
          'not an entry',
          { message: 'second' },
        ],
      }),
    ).toEqual({ codes: ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'], message: 'manifest unknown; second' });
  });

  it('reads what token services say: details, an OAuth error with its description, or a message', () => {
    expect(read({ details: 'incorrect username or password' })).toEqual({ codes: [], message: 'incorrect username or password' });
    expect(read({ error: 'invalid_grant', error_description: 'token expired' })).toEqual({ codes: [], message: 'token expired' });
    expect(read({ error: 'invalid_grant' })).toEqual({ codes: [], message: 'invalid_grant' });
    expect(read({ message: 'Forbidden' })).toEqual({ codes: [], message: 'Forbidden' });
    expect(read({ details: 'a', message: 'b' })).toEqual({ codes: [], message: 'a; b' });
  });

  it('reads a short plain-text answer, and nothing from HTML, JSON that is not an object, or an empty body', () => {
    expect(read('  rate\tlimited\n\n  today ', 'text/plain')).toEqual({ codes: [], message: 'rate limited today' });
    expect(read('<html><body>Bad gateway</body></html>', 'text/plain')).toEqual({ codes: [] });
    expect(read('Bad gateway', 'text/html; charset=utf-8')).toEqual({ codes: [] });
    expect(read('   <!doctype html>', 'application/octet-stream')).toEqual({ codes: [] });
    expect(read(['x'])).toEqual({ codes: [] });
    expect(read('"just a string"')).toEqual({ codes: [] });
    expect(read('', 'text/plain')).toEqual({ codes: [] });
    expect(read({ errors: [] })).toEqual({ codes: [] });
  });

  it('reads odd answers without failing: bytes that are not UTF-8, a "<" inside the text, null, entries that are not objects, blank codes', () => {
    const broken = { status: 502, attempts: 1, headers: new Headers({ 'content-type': 'text/plain' }), body: new Uint8Array([0x62, 0x61, 0x64, 0xff, 0x21]) };
    expect(readRegistryAnswer(broken, new SecretRedactor())).toEqual({ codes: [], message: 'bad\ufffd!' });
    expect(read('size must be < 10 MB', 'text/plain')).toEqual({ codes: [], message: 'size must be < 10 MB' });
    expect(read('null')).toEqual({ codes: [] });
    expect(read({ errors: [null, 'DENIED', { code: 'denied', message: 'no' }] })).toEqual({ codes: ['DENIED'], message: 'no' });
    expect(read({ errors: [{ code: '  \n ', message: 'blank code' }] })).toEqual({ codes: [], message: 'blank code' });
  });

  it('takes control characters out, and cuts a long message to 300 characters and an ellipsis', () => {
    expect(read({ errors: [{ code: 'DENIED', message: 'a\u0000b\u001bc\u007fd' }] }).message).toBe('a b c d');
    expect(read({ details: 'x'.repeat(301) }).message).toBe(`${'x'.repeat(300)}…`);
    expect(read({ details: 'x'.repeat(300) }).message).toBe('x'.repeat(300));
  });

  it('redacts known secrets before cutting, so a cut secret does not survive in part', () => {
    const redactor = new SecretRedactor();
    const secret = 's3cr3t-token-value';
    redactor.add(secret);
    const message = `${'y'.repeat(290)}${secret}`;

    expect(read({ details: message }, undefined, redactor).message).toBe(`${'y'.repeat(290)}***`);
    expect(read({ errors: [{ code: secret, message: 'echo' }] }, undefined, redactor).codes).toEqual(['***']);
  });
});

describe('Function: errorForResponse', () => {
  const classify = (status: number, body: unknown = {}, options: Partial<Parameters<typeof errorForResponse>[3]> = {}, headers: Record<string, string> = {}) =>
    errorForResponse(IMAGE, { ...answer(body, 'application/json', status, headers), attempts: options.what === 'retried' ? 3 : 1 }, new SecretRedactor(), {
      credentialsUsed: false,
      what: 'the manifest',
      ...options,
    });

  it('a 429, or TOOMANYREQUESTS in any status, is a rate limit with the Retry-After the registry sent', () => {
    const limited = classify(429, {}, {}, { 'retry-after': '30' });
    expect(limited).toBeInstanceOf(RegistryRateLimitedError);
    expect((limited as RegistryRateLimitedError).retryAfterSeconds).toBe(30);
    expect(limited.message).toBe('quay.io/acme/app:1.0: quay.io is rate limiting requests (HTTP 429). Retry after 30 s, or use credentials with a higher pull limit');

    const coded = classify(403, { errors: [{ code: 'toomanyrequests', message: 'pull rate limit' }] });
    expect(coded).toBeInstanceOf(RegistryRateLimitedError);
    expect((coded as RegistryRateLimitedError).retryAfterSeconds).toBeUndefined();
    expect(coded.message).toContain('Retry later, or use credentials with a higher pull limit');
  });

  it('a 404, or MANIFEST_UNKNOWN / NAME_UNKNOWN in any status, means no such image, unless the answer is not about the image', () => {
    expect(classify(404)).toBeInstanceOf(ManifestNotFoundError);
    expect(classify(400, { errors: [{ code: 'NAME_UNKNOWN', message: 'no repo' }] })).toBeInstanceOf(ManifestNotFoundError);
    expect(classify(400, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'no tag' }] })).toBeInstanceOf(ManifestNotFoundError);
    expect(classify(404).message).toBe(
      'quay.io/acme/app:1.0: not found in quay.io (HTTP 404). Check that the repository and the tag or digest exist and are spelled exactly as in the registry',
    );
    const elsewhere = classify(404, {}, { notFoundMeansNoImage: false });
    expect(elsewhere).not.toBeInstanceOf(ManifestNotFoundError);
    expect(elsewhere.message).toBe('quay.io/acme/app:1.0: quay.io failed to serve the manifest (HTTP 404)');
  });

  it('a 401 or 403, or UNAUTHORIZED / DENIED, is a refusal whose advice depends on whether credentials were sent', () => {
    for (const [status, body] of [
      [401, {}],
      [403, {}],
      [400, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }],
      [400, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }],
    ] as const) {
      expect(classify(status, body)).toBeInstanceOf(RegistryUnauthorizedError);
    }
    expect(classify(401).message).toBe(
      'quay.io/acme/app:1.0: quay.io refused access to acme/app (HTTP 401). No credentials are configured for quay.io: the repository may be private ' +
        '(or may not exist; some registries answer 401 for unknown repositories)',
    );
    expect(classify(403, {}, { credentialsUsed: true }).message).toBe(
      'quay.io/acme/app:1.0: quay.io refused access to acme/app (HTTP 403). The credentials for quay.io were rejected or lack pull access to acme/app; check them',
    );
  });

  it('anything else is a failure to serve what was asked for: the tries, and advice only for a server error', () => {
    const server = errorForResponse(IMAGE, { ...answer({}, 'application/json', 500), attempts: 3 }, new SecretRedactor(), { credentialsUsed: false, what: 'blob x' });
    expect(server.constructor).toBe(RegistryError);
    expect(server.message).toBe('quay.io/acme/app:1.0: quay.io failed to serve blob x after 3 attempts (HTTP 500). The registry is having problems; retry later');
    expect(classify(499).message).toBe('quay.io/acme/app:1.0: quay.io failed to serve the manifest (HTTP 499)');
    expect(classify(400, { errors: [{ code: 'UNSUPPORTED', message: 'nope' }] })).toMatchObject({ status: 400, registryCode: 'UNSUPPORTED', registryMessage: 'nope' });
  });
});

describe('Function: errorForTransportFailure', () => {
  const target = { ...IMAGE, baseUrl: 'https://quay.io' };

  it('an answer too large or redirects without end are the registry misbehaving', () => {
    for (const kind of ['too-large', 'redirect'] as const) {
      const error = errorForTransportFailure(target, new TransportError(kind, 'https://quay.io/v2/x?sig=1', 'what happened', 1));
      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toBe('quay.io/acme/app:1.0: quay.io misbehaved at https://quay.io/v2/x: what happened');
    }
  });

  it('a refused address names whether it was the registry itself or where the registry sent the function', () => {
    const refusal = { host: 'quay.io', address: '127.0.0.1', rule: 'a loopback address' };
    const own = errorForTransportFailure(target, new TransportError('refused', 'https://quay.io/v2/acme/app/manifests/1.0', 'quay.io resolves to 127.0.0.1', 1, { refusal }));
    expect(own).toBeInstanceOf(AddressRefusedError);
    expect((own as AddressRefusedError).refusal).toBe(refusal);
    expect(own.message).toMatch(
      /^quay\.io\/acme\/app:1\.0: the mirror function never contacts quay\.io at https:\/\/quay\.io\/v2\/acme\/app\/manifests\/1\.0: quay\.io resolves/,
    );

    const sent = errorForTransportFailure(target, new TransportError('refused', 'https://cdn.example/blob', 'cdn.example resolves to 127.0.0.1', 1));
    expect(sent.message).toContain('quay.io sent the mirror function to https://cdn.example/blob, which it never contacts: cdn.example resolves to 127.0.0.1');
    expect((sent as AddressRefusedError).refusal).toEqual({ host: 'cdn.example', address: 'cdn.example', rule: 'cdn.example resolves to 127.0.0.1' });
  });

  it('keeps the transport failure as the cause (the log prints it), and tells how to map a host that really serves the registry', () => {
    for (const kind of ['too-large', 'redirect', 'refused', 'network', 'timeout'] as const) {
      const failure = new TransportError(kind, 'https://quay.io/v2/', 'what happened', 1);
      expect(errorForTransportFailure(target, failure).cause).toBe(failure);
    }
    const refused = errorForTransportFailure(target, new TransportError('refused', 'https://quay.io/v2/', 'quay.io resolves to 127.0.0.1', 1));
    expect(refused.message).toMatch(
      /: quay\.io resolves to 127\.0\.0\.1\. Registries may not point at loopback, link-local or Lambda Runtime API addresses; if this host really serves the registry, map it in the mirror function's REGISTRY_ENDPOINTS$/,
    );
  });

  it('no answer at all is unreachable, with the tries when there were several', () => {
    const once = errorForTransportFailure(target, new TransportError('network', 'https://quay.io/v2/', 'connection reset (ECONNRESET)', 1));
    expect(once).toBeInstanceOf(RegistryUnreachableError);
    expect(once.message).toContain('cannot reach quay.io at https://quay.io/v2/: connection reset (ECONNRESET). Check that the registry is up');
    const thrice = errorForTransportFailure(target, new TransportError('timeout', 'https://quay.io/v2/', 'no answer within 15000 ms', 3));
    expect(thrice.message).toContain('no answer within 15000 ms (3 attempts)');
  });
});

describe('Errors: what a message says', () => {
  it('names the image by tag or by digest', () => {
    expect(describeImage(IMAGE)).toBe('quay.io/acme/app:1.0');
    expect(describeImage({ ...IMAGE, reference: `sha256:${'a'.repeat(64)}` })).toBe(`quay.io/acme/app@sha256:${'a'.repeat(64)}`);
  });

  it("adds the status and the registry's words when known, and what to do", () => {
    expect(new RegistryError(IMAGE, 'failed').message).toBe('quay.io/acme/app:1.0: failed');
    expect(new RegistryError({ ...IMAGE, registryCode: 'X' }, 'failed').message).toBe('quay.io/acme/app:1.0: failed (registry says "X")');
    expect(new RegistryError({ ...IMAGE, registryMessage: 'm' }, 'failed').message).toBe('quay.io/acme/app:1.0: failed (registry says "m")');
    expect(new RegistryError({ ...IMAGE, status: 502, registryCode: 'X', registryMessage: 'm' }, 'failed', 'Retry').message).toBe(
      'quay.io/acme/app:1.0: failed (HTTP 502; registry says "X: m"). Retry',
    );
  });

  it('a failure that is not about one image is its words alone, and carries no image', () => {
    const error = new RegistryConfigError('REGISTRY_ENDPOINTS is not JSON', { cause: new Error('x') });
    expect(error.message).toBe('REGISTRY_ENDPOINTS is not JSON');
    expect([error.registry, error.repository, error.reference, error.status]).toEqual([undefined, undefined, undefined, undefined]);
    expect(error.cause).toBeInstanceOf(Error);
    expect(new RegistryError(IMAGE, 'failed').cause).toBeUndefined();
  });

  it('every error names its class, which the log prints with the message', () => {
    const transport = new TransportError('network', 'https://quay.io/v2/', 'reset', 1);
    const errors = [
      new RegistryError(IMAGE, 'failed'),
      new ManifestNotFoundError(IMAGE),
      new RegistryUnauthorizedError(IMAGE, 'refused', 'check'),
      new RegistryRateLimitedError(IMAGE, undefined),
      new RegistryUnreachableError(IMAGE, 'https://quay.io/v2/', 'reset'),
      new RegistryProtocolError(IMAGE, 'odd'),
      new PlatformNotFoundError(IMAGE, ['linux/amd64'], 'arm64'),
      new RegistryConfigError('bad'),
      new ManifestShapeError('bad'),
      transport,
    ];
    expect(errors.map((error) => error.name)).toEqual([
      'RegistryError',
      'ManifestNotFoundError',
      'RegistryUnauthorizedError',
      'RegistryRateLimitedError',
      'RegistryUnreachableError',
      'RegistryProtocolError',
      'PlatformNotFoundError',
      'RegistryConfigError',
      'ManifestShapeError',
      'TransportError',
    ]);
  });

  it('a platform refusal of an image that lists none says so', () => {
    const error = new PlatformNotFoundError(IMAGE, [], 'arm64');
    expect(error.message).toBe('quay.io/acme/app:1.0: image lists no platforms; function Architectures is arm64');
    expect(error.reason).toBe('image lists no platforms; function Architectures is arm64');
  });

  it('a transport failure keeps the socket error as its cause', () => {
    const socket = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(new TransportError('network', 'https://quay.io/v2/', 'reset', 1, { cause: socket }).cause).toBe(socket);
  });

  it('a transport failure shows the URL without its query, and an unreadable URL as such', () => {
    expect(new TransportError('network', 'https://blobs.example/x?X-Amz-Signature=secret', 'reset', 1).message).toBe('https://blobs.example/x: reset');
    expect(new TransportError('network', 'not a url', 'reset', 1).url).toBe('(invalid URL)');
  });

  it("a refused transport failure carries the guard's verdict; without one, the URL's host stands for it", () => {
    const refusal = { host: 'a.example', address: '10.0.0.1', rule: 'r' };
    expect(refusalOf(new TransportError('refused', 'https://a.example/', 'd', 1, { refusal }))).toBe(refusal);
    expect(refusalOf(new TransportError('refused', 'nonsense', 'd', 1))).toEqual({ host: '(invalid URL)', address: '(invalid URL)', rule: 'd' });
  });
});
