/** What every action gets: the client, the output format and where to write. */
import { readFileSync } from 'node:fs';
import { CliError, FleetClient } from './client.js';
import type { OutputFormat } from './output.js';

export interface GlobalOptions {
  server: string;
  token?: string;
  tokenFile?: string;
  caFile?: string;
  output: string;
}

export interface Context {
  client(): FleetClient;
  format: OutputFormat;
  out: (text: string) => void;
  err: (text: string) => void;
}

export function makeContext(opts: GlobalOptions, io: { out: (t: string) => void; err: (t: string) => void }): Context {
  if (opts.output !== 'table' && opts.output !== 'json') throw new CliError(`-o/--output: must be "table" or "json", got "${opts.output}"`, 2);
  let client: FleetClient | undefined;
  return {
    format: opts.output,
    out: io.out,
    err: io.err,
    client: () => {
      if (client) return client;
      const servers = opts.server.split(',').map((s) => s.trim()).filter(Boolean);
      if (servers.length === 0) throw new CliError('--server: give the control plane as HOST:PORT (or set FLEET_SERVER)', 2);
      let token = opts.token;
      if (!token && opts.tokenFile) {
        try {
          token = readFileSync(opts.tokenFile, 'utf8').trim();
        } catch (err) {
          throw new CliError(`--token-file: cannot read ${opts.tokenFile}: ${(err as Error).message}`, 2);
        }
      }
      if (!token) throw new CliError('no admin token: pass --token, --token-file, or set FLEET_TOKEN (the control plane writes it to DATA_DIR/admin.token)', 2);
      let caPem: string | null = null;
      if (opts.caFile) {
        try {
          caPem = readFileSync(opts.caFile, 'utf8');
        } catch (err) {
          throw new CliError(`--ca-file: cannot read ${opts.caFile}: ${(err as Error).message}`, 2);
        }
        if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--ca-file: ${opts.caFile} holds no PEM certificate`, 2);
      }
      client = new FleetClient(servers, token, caPem);
      return client;
    },
  };
}
