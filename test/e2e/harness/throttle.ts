// A registry stand-in that is slow on purpose: a proxy in front of a local registry that sends every blob body at a
// fixed rate per connection (manifests and everything else pass at once). With it a copy takes at least
// bytes / rate of wall-clock time whatever the machine's speed, which is how a scenario makes the function engine's
// copy outlast one invocation of the mirror function and hand over (the margins are stated where it is used).
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalHttpServer, startHttpServer } from './http.js';

const TICK_MS = 100;

export async function startThrottledRegistry(backendUrl: string, bytesPerSecond: number): Promise<LocalHttpServer> {
  const backend = new URL(backendUrl);
  const perTick = Math.max(1, Math.floor((bytesPerSecond * TICK_MS) / 1000));
  return startHttpServer('throttled registry', (incoming, outgoing) => {
    const forward = httpRequest({ host: backend.hostname, port: backend.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, async (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      if (incoming.method !== 'GET' || !/\/blobs\/sha256:/.test(incoming.url ?? '')) {
        answer.pipe(outgoing);
        return;
      }
      answer.pause();
      for await (const chunk of answer as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.length; offset += perTick) {
          if (outgoing.destroyed) return;
          outgoing.write(chunk.subarray(offset, offset + perTick));
          await sleep(TICK_MS);
        }
      }
      outgoing.end();
    });
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
}
