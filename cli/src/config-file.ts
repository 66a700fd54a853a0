/**
 * fleetctl's named contexts, as kubectl and nomad users expect: a server
 * list, the fleet CA and where the token is, under a name, in
 * `$FLEET_CONFIG` or `$XDG_CONFIG_HOME/fleet/config.json` (default
 * `~/.config/fleet/config.json`), mode 0600. The file names the token's file,
 * never the token.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CliError } from './client.js';

export interface FleetContext {
  server: string;
  caFile?: string;
  tokenFile?: string;
}

export interface FleetConfig {
  currentContext: string;
  contexts: Record<string, FleetContext>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEET_CONFIG) return env.FLEET_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'fleet', 'config.json');
}

export function readConfig(path: string): FleetConfig {
  if (!existsSync(path)) return { currentContext: '', contexts: {} };
  let parsed: Partial<FleetConfig>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<FleetConfig>;
  } catch (err) {
    throw new CliError(`${path} is not valid JSON (${(err as Error).message}): fix or remove it`, 2);
  }
  const contexts: Record<string, FleetContext> = {};
  for (const [name, c] of Object.entries(parsed.contexts ?? {})) {
    if (!NAME.test(name) || typeof c?.server !== 'string') throw new CliError(`${path}: context "${name}" is damaged: set it again with fleetctl config set-context`, 2);
    contexts[name] = { server: c.server, ...(typeof c.caFile === 'string' ? { caFile: c.caFile } : {}), ...(typeof c.tokenFile === 'string' ? { tokenFile: c.tokenFile } : {}) };
  }
  return { currentContext: typeof parsed.currentContext === 'string' ? parsed.currentContext : '', contexts };
}

function writeConfig(path: string, config: FleetConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
}

export function checkContextName(name: string): string {
  if (!NAME.test(name)) throw new CliError(`context name: "${name.slice(0, 64)}" must be letters, digits, ".", "_" or "-" (at most 63)`, 2);
  return name;
}

/** Creates or updates a context; files are kept as absolute paths, so the context works from any directory. */
export function setContext(path: string, name: string, change: Partial<FleetContext>): FleetContext {
  const config = readConfig(path);
  const existing = config.contexts[checkContextName(name)];
  const server = change.server || existing?.server;
  if (!server) throw new CliError('--server: a new context needs the control plane address(es)', 2);
  const absolute = (p: string | undefined) => (p ? resolve(p) : undefined);
  const next: FleetContext = { server, ...(absolute(change.caFile ?? existing?.caFile) ? { caFile: absolute(change.caFile ?? existing?.caFile)! } : {}), ...(absolute(change.tokenFile ?? existing?.tokenFile) ? { tokenFile: absolute(change.tokenFile ?? existing?.tokenFile)! } : {}) };
  config.contexts[name] = next;
  if (!config.currentContext) config.currentContext = name;
  writeConfig(path, config);
  return next;
}

export function useContext(path: string, name: string): void {
  const config = readConfig(path);
  if (!config.contexts[name]) throw new CliError(`no context "${name}" in ${path}: fleetctl config get-contexts lists them`, 1);
  writeConfig(path, { ...config, currentContext: name });
}

/** The context a command runs in: the one named (--context, FLEET_CONTEXT), else the current one, else none. */
export function activeContext(path: string, named: string | undefined): FleetContext | null {
  const config = readConfig(path);
  if (named) {
    const found = config.contexts[named];
    if (!found) throw new CliError(`--context: no context "${named}" in ${path}: fleetctl config get-contexts lists them`, 2);
    return found;
  }
  return config.contexts[config.currentContext] ?? null;
}
