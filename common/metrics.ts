/**
 * The HTTP listener each daemon serves beside its main work, kept apart from
 * gRPC (plain HTTP, loopback by default: it carries no secret, but it says a
 * lot about the fleet):
 * - `/metrics`: Prometheus exposition, from prom-client (no hand-written
 *   format). Names start with `fleet_`, units in names, `_total` counters,
 *   base units (seconds, bytes); labels are bounded (never a task id).
 * - `/healthz`: alive, as the self-check sees it (the same checks the
 *   systemd watchdog is pinged on): 200, or 503 with the problems.
 * - `/readyz`: can do its job now (control plane: JetStream answers; agent:
 *   a session is open and Docker answers): 200, or 503 with the reason.
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ValidationError } from './errors.js';
import type { Logger } from './logger.js';

export const METRIC_PREFIX = 'fleet_';

/** A registry of this process's metrics, with the process's own (CPU, memory, event loop lag, GC) as `fleet_process_*` and `fleet_nodejs_*`. */
export function newRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** HOST:PORT to listen on ([v6]:PORT too), or a ValidationError naming the field; `or` says what else it may be. */
export function checkHostPort(field: string, text: string, or = ''): string {
  if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):\d{1,5}$/.test(text) || Number(text.split(':').pop()) > 65535) {
    throw new ValidationError(field, `"${text}" is not HOST:PORT${or}`);
  }
  return text;
}

/** `off`, or HOST:PORT (port 0: any free one). */
export function parseMetricsListen(field: string, text: string): string | null {
  return text === 'off' ? null : checkHostPort(field, text, ' (or "off")');
}

export interface Verdict {
  ok: boolean;
  /** Why not, or what is fine. */
  detail: string;
}

export interface MetricsServerOptions {
  registry: Registry;
  /** Alive: the self-check passes. */
  healthy: () => Verdict;
  /** Ready to do the daemon's job. */
  ready: () => Verdict;
}

export class MetricsServer {
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly options: MetricsServerOptions,
    private readonly log: Logger,
  ) {}

  /** Listens on HOST:PORT; rejects with a message naming the flag when it cannot. */
  async start(listen: string, flag = '--metrics-listen'): Promise<number> {
    const at = listen.lastIndexOf(':');
    const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(listen.slice(at + 1));
    const server = (this.server = createServer((req, res) => void this.handle(req.method ?? '', req.url ?? '', res)));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`${flag}: cannot listen on ${listen}: ${err.code === 'EADDRINUSE' ? 'the port is in use (another daemon on this machine? give each its own port, or "off")' : err.message}`)),
      );
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    this.log.info({ listen: `${host.includes(':') ? `[${host}]` : host}:${this.port}` }, 'metrics and health endpoints listening');
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(method: string, url: string, res: import('node:http').ServerResponse): Promise<void> {
    const path = url.split('?')[0];
    if (method !== 'GET' && method !== 'HEAD') return this.reply(res, 405, 'text/plain', 'only GET\n');
    try {
      switch (path) {
        case '/metrics':
          return this.reply(res, 200, this.options.registry.contentType, await this.options.registry.metrics());
        case '/healthz':
          return this.verdict(res, this.options.healthy());
        case '/readyz':
          return this.verdict(res, this.options.ready());
        default:
          return this.reply(res, 404, 'text/plain', 'not found: /metrics, /healthz or /readyz\n');
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message, path }, 'metrics request failed');
      return this.reply(res, 500, 'text/plain', 'internal error\n');
    }
  }

  private verdict(res: import('node:http').ServerResponse, v: Verdict): void {
    this.reply(res, v.ok ? 200 : 503, 'text/plain; charset=utf-8', `${v.ok ? 'ok' : 'not ok'}: ${v.detail}\n`);
  }

  private reply(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  }
}
