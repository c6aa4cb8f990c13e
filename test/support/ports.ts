import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A TCP port on loopback that was free a moment ago (for a child process to bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether `port` on loopback can be bound right now, over UDP. */
export async function canBindUdp(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** Whether `port` on loopback can be bound right now, for TCP and for UDP. */
async function bindsBoth(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return tcp && canBindUdp(port);
}

/**
 * A port free for both TCP and UDP, for a SIP peer that listens on both (baresip binds its
 * sip_listen port for each transport). It is drawn from 10000–19999: below the kernel's
 * ephemeral range, so an outgoing connection cannot take it between the check and the
 * peer's bind, and below Teller's RTP ports.
 */
export async function freeSipPort(): Promise<number> {
  for (;;) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if (await bindsBoth(port)) return port;
  }
}
