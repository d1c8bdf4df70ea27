// Free TCP ports on the loopback interface for the local servers that tests start.
import { createServer } from 'node:net';

/** Loopback address every test server binds to (never a public interface). */
export const LOOPBACK = '127.0.0.1';

/**
 * Returns a TCP port that was free on 127.0.0.1 a moment ago (the OS picks it).
 * Another process may grab it before the caller binds, so launchers retry when their server fails to start.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected server address ${String(address)}`));
        return;
      }
      server.close((error) => (error ? reject(error) : resolve(address.port)));
    });
  });
}
