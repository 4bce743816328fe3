import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay: `listen` address to `target`. Cutting it makes a service "go away" for the processes that reach it through the relay. */
export interface TcpRelay {
  /** host:port to connect to. */
  address: string;
  /** Drops every connection and stops listening: as if the server had vanished. */
  cut(): Promise<void>;
}

export async function tcpRelay(target: { host: string; port: number }, listenHost = '127.0.0.1'): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const upstream = connect(target.port, target.host);
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
    const end = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  return {
    address: `${listenHost}:${(server.address() as { port: number }).port}`,
    async cut() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
