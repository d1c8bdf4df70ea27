// The response PUT at its edges: which answers count as delivered, what a failure says (never the URL, which is a
// bearer credential), the https path, and the bound on an endpoint that accepts the request but never answers.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpPut } from '../../../../src/mirror/ports/http-put.js';

const SIGNATURE = 's3cr3t-signature';

describe('Function: createHttpPut (edges)', () => {
  let server: Server;
  let port: number;
  let answer: (res: ServerResponse) => void = (res) => res.end();
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const url = () => `http://127.0.0.1:${port}/r?X-Amz-Signature=${SIGNATURE}`;

  it('counts every 2xx answer as delivered and any other as not, naming the status', async () => {
    for (const status of [200, 204, 299]) {
      answer = (res) => {
        res.statusCode = status;
        res.end();
      };
      await expect(createHttpPut()(url(), '{}', 5_000), String(status)).resolves.toBeUndefined();
    }
    for (const status of [300, 404, 500]) {
      answer = (res) => {
        res.statusCode = status;
        res.end();
      };
      await expect(createHttpPut()(url(), '{}', 5_000)).rejects.toThrow(new Error(`the response endpoint answered HTTP ${status}`));
    }
  });

  it('gives up on an endpoint that takes the request and never answers, saying how long it waited', async () => {
    answer = (res) => held.push(res);
    const failure = await createHttpPut()(url(), '{}', 300).catch((error: Error) => error);
    expect(failure).toEqual(new Error('the response PUT failed: no answer from the response endpoint within 300 ms'));
  });

  it('bounds the whole exchange, not only an idle socket: its own timer ends it when due', async () => {
    // Only the global timers are faked: the socket's idle timeout (node's internal timers) stays real, and is far away.
    answer = (res) => held.push(res);
    const before = held.length;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled: unknown;
      const put = createHttpPut()(url(), '{}', 30_000).then(
        () => 'resolved',
        (error: Error) => error,
      );
      void put.then((outcome) => {
        settled = outcome;
      });
      while (held.length === before) await new Promise((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(30_000);
      for (let turn = 0; turn < 50 && settled === undefined; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toEqual(new Error('the response PUT failed: no answer from the response endpoint within 30000 ms'));
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up on an endpoint that starts an answer and never ends it', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x');
      held.push(res);
    };
    const failure = await createHttpPut()(url(), '{}', 300).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^the response PUT failed: /);
    expect((failure as Error).message).not.toContain(SIGNATURE);
  });

  it('fails when the connection drops in the middle of the answer, at once (not when its timer is due)', { timeout: 30_000 }, async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x', () => res.socket?.destroy());
    };
    const failure = await createHttpPut()(url(), '{}', 600_000).catch((error: Error) => error);
    expect(failure).toEqual(new Error('the response PUT failed: aborted'));
  });

  it('leaves no timer behind once the exchange is over', async () => {
    answer = (res) => res.end();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await createHttpPut()(url(), '{}', 30_000);
      for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not count a status below 200 as delivered (node passes 0 to 99 on as answers)', async () => {
    for (const status of ['000', '099']) {
      const raw = createTcpServer((socket) => socket.once('data', () => socket.end(`HTTP/1.1 ${status} Odd\r\ncontent-length: 0\r\n\r\n`)));
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', () => resolve()));
      const rawPort = (raw.address() as { port: number }).port;
      try {
        await expect(createHttpPut()(`http://127.0.0.1:${rawPort}/r`, '{}', 5_000), status).rejects.toThrow(
          new Error(`the response endpoint answered HTTP ${Number(status)}`),
        );
      } finally {
        await new Promise<void>((resolve) => raw.close(() => resolve()));
      }
    }
  });

  it('names the error code of a refused connection only, over http and https', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const scheme of ['http', 'https']) {
      const failure = await createHttpPut()(`${scheme}://127.0.0.1:${closedPort}/r?X-Amz-Signature=${SIGNATURE}`, '{}', 5_000).catch((error: Error) => error);
      expect(failure, scheme).toEqual(new Error('the response PUT failed: ECONNREFUSED'));
    }
  });

  it('refuses what is not an http(s) URL without sending anything', async () => {
    await expect(createHttpPut()(`not a url ${SIGNATURE}`, '{}', 5_000)).rejects.toThrow(new Error('the ResponseURL is not a URL'));
    await expect(createHttpPut()(`file:///tmp/${SIGNATURE}`, '{}', 5_000)).rejects.toThrow(new Error('the ResponseURL scheme "file:" is not http(s)'));
  });
});
