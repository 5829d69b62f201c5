import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test owns, in front of a server it must not touch (the shared
 * PostgreSQL): `cut()` is that server going away for the system (every open connection
 * drops, new ones are refused), `restore()` is it coming back on the same address.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Armed by cutAfter: bytes still to forward toward the server before everything is cut. */
  private budget: { left: number; cut: () => void } | undefined;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0);
    await proxy.listen();
    return proxy;
  }

  /** Rewrites a URL's host and port to the proxy's. */
  urlFor(url: string): string {
    const rewritten = new URL(url);
    rewritten.hostname = '127.0.0.1';
    rewritten.port = String(this.port);
    return rewritten.toString();
  }

  /** Drops every connection and stops listening: clients see resets, then ECONNREFUSED. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  close(): Promise<void> {
    return this.cut();
  }

  /**
   * Forwards `bytes` more bytes toward the server (all connections together), then cuts as
   * cut() does, mid-stream: the server gets a command stream that stops part-way (what it has
   * whole it runs, the rest is lost), the client sees its connection drop with replies
   * outstanding. Resolves once the cut has happened.
   */
  cutAfter(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      this.budget = {
        left: bytes,
        cut: () => {
          this.budget = undefined;
          void this.cut().then(resolve);
        },
      };
    });
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        const budget = this.budget;
        if (!budget) return void upstream.write(chunk);
        if (budget.left === 0) return; // spent: the cut is on its way
        if (chunk.length < budget.left) {
          budget.left -= chunk.length;
          return void upstream.write(chunk);
        }
        // The part that fits, flushed before the sockets are destroyed.
        upstream.write(chunk.subarray(0, budget.left), () => budget.cut());
        budget.left = 0;
        client.pause();
      });
      client.on('end', () => upstream.end());
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }
}
