// A TCP server that accepts every connection and never answers: what an endpoint looks like when a security
// group, a NAT or the service itself swallows the traffic. It counts connections, and which are still open (a
// client that gives up must close its socket, not leak it).
import { createServer, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './loopback.js';

export interface BlackHole {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections the client has not closed yet. */
  open(): number;
  /** Resolves once every accepted connection is closed, or rejects after `ms`. */
  drained(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Reads whatever arrives and never writes a byte.
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    accepted: () => accepted,
    open: () => sockets.size,
    async drained(ms) {
      const end = Date.now() + ms;
      while (sockets.size > 0) {
        if (Date.now() > end) throw new Error(`${sockets.size} connection(s) to the black hole still open after ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
