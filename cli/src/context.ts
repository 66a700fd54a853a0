/** What every action gets: the client, the output format and where to write. */
import { readFileSync } from 'node:fs';
import { CliError, FleetClient } from './client.js';
import { activeContext, configPath } from './config-file.js';
import { DEFAULT_SERVER } from './defaults.js';
import type { OutputFormat } from './output.js';
import { safeText } from './safe-text.js';

export interface GlobalOptions {
  server?: string;
  context?: string;
  token?: string;
  tokenFile?: string;
  caFile?: string;
  output: string;
}

export interface Context {
  client(): FleetClient;
  /** Closes the client if a command made one (some, like `backup inspect`, work offline). */
  close(): void;
  format: OutputFormat;
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * What a command talks to: flags and their environment variables first, then
 * the active context from the config file, then the defaults.
 */
export function makeContext(opts: GlobalOptions, io: { out: (t: string) => void; err: (t: string) => void }, env: NodeJS.ProcessEnv = process.env): Context {
  if (opts.output !== 'table' && opts.output !== 'json') throw new CliError(`-o/--output: must be "table" or "json", got "${opts.output}"`, 2);
  let client: FleetClient | undefined;
  return {
    format: opts.output,
    // Everything an action prints may quote a node or a container (messages, reasons, tool names):
    // cleaned of escape sequences here, once. JSON is unaffected (it escapes control characters itself).
    out: (text) => io.out(safeText(text)),
    err: (text) => io.err(safeText(text)),
    close: () => client?.close(),
    client: () => {
      if (client) return client;
      // A server given by flag or environment does not get the current context's token or CA
      // (a stray FLEET_SERVER must not receive the production token), unless --context says so.
      const active = activeContext(configPath(env), opts.context || undefined);
      const named = opts.server && !opts.context ? null : active;
      const serverList = opts.server || named?.server || DEFAULT_SERVER;
      const tokenFile = opts.tokenFile || (opts.token ? undefined : named?.tokenFile);
      const caFile = opts.caFile ?? named?.caFile;
      const servers = serverList.split(',').map((s) => s.trim()).filter(Boolean);
      if (servers.length === 0) throw new CliError('--server: give the control plane as HOST:PORT (or set FLEET_SERVER)', 2);
      let token = opts.token;
      if (!token && tokenFile) {
        try {
          token = readFileSync(tokenFile, 'utf8').trim();
        } catch (err) {
          throw new CliError(`--token-file: cannot read ${tokenFile}: ${(err as Error).message}`, 2);
        }
      }
      if (!token) throw new CliError('no access token: pass --token-file (or set FLEET_TOKEN_FILE or FLEET_TOKEN); the bootstrap admin token is in the control plane\'s DATA_DIR/admin.token, and admins make others with fleetctl access-token create', 2);
      let caPem: string | null = null;
      if (caFile) {
        try {
          caPem = readFileSync(caFile, 'utf8');
        } catch (err) {
          throw new CliError(`--ca-file: cannot read ${caFile}: ${(err as Error).message}`, 2);
        }
        if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--ca-file: ${caFile} holds no PEM certificate`, 2);
      }
      client = new FleetClient(servers, token, caPem);
      return client;
    },
  };
}
