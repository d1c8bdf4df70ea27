// A registry stand-in that is slow on purpose: a proxy in front of a local registry that sends blob bodies at a fixed
// rate shared by all its connections (manifests and everything else pass at once). With it a copy takes at least
// bytes / rate of wall-clock time whatever the machine's speed and however many blobs the copy moves at once, which is
// how a scenario makes the function engine's copy outlast one invocation of the mirror function and hand over (the
// margins are stated where it is used). A busy machine only makes it slower.
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalHttpServer, startHttpServer } from './http.js';

const TICK_MS = 100;

/** One slot per tick for the whole proxy: a connection sends its share only when it holds the slot. */
function sharedTicks(): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => {
    const mine = last.then(() => sleep(TICK_MS));
    last = mine;
    return mine;
  };
}

export async function startThrottledRegistry(backendUrl: string, bytesPerSecond: number): Promise<LocalHttpServer> {
  const backend = new URL(backendUrl);
  const perTick = Math.max(1, Math.floor((bytesPerSecond * TICK_MS) / 1000));
  const tick = sharedTicks();
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
          await tick();
          if (outgoing.destroyed) return;
          outgoing.write(chunk.subarray(offset, offset + perTick));
        }
      }
      outgoing.end();
    });
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
}
