/**
 * A unix-socket relay in front of the real Docker engine. Pointing an agent at
 * it and closing it makes that node's engine unreachable, exactly as a
 * stopped dockerd looks to a client (connection refused), while every other
 * node keeps the real engine. Nothing is simulated: every byte goes to dockerd.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const CREATE_REFUSED = JSON.stringify({ message: 'fault injected: the engine cannot create containers' });

export class DockerProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** While set, container create requests get HTTP 500, as from an engine out of disk or with a broken runtime. */
  failCreates = false;

  constructor(
    readonly path: string,
    private readonly target = '/var/run/docker.sock',
  ) {}

  get url(): string {
    return `unix://${this.path}`;
  }

  async start(): Promise<void> {
    rmSync(this.path, { force: true });
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      upstream.pipe(client);
      client.on('data', (chunk: Buffer) => {
        const requestLine = chunk.subarray(0, Math.max(0, chunk.indexOf('\r\n'))).toString();
        if (this.failCreates && /^POST \S*\/containers\/create/.test(requestLine)) {
          client.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${CREATE_REFUSED.length}\r\nConnection: close\r\n\r\n${CREATE_REFUSED}`);
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
  }

  /** The engine "stops": open connections drop, new ones are refused. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
    rmSync(this.path, { force: true });
  }
}
