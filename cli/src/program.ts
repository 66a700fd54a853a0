/** Builds the fleetctl command tree. `main.ts` runs it; tests drive it with exitOverride(). */
import { accessTokenCommand, auditCommand, whoAmICommand } from './commands/access.js';
import { Command, Option } from 'commander';
import { taskCommand } from './commands/task.js';
import { clusterCommand } from './commands/cluster.js';
import { backupCommand } from './commands/backup.js';
import { nodeCommand } from './commands/node.js';
import { statusCommand } from './commands/status.js';
import { tokenCommand } from './commands/token.js';
import { configCommand } from './commands/config.js';
import { providerCommand } from './commands/provider.js';
import { forgeCommand } from './commands/forge.js';
import { teamCommand } from './commands/team.js';
import { rolloutCommand } from './commands/rollout.js';
import { autoscaleCommand } from './commands/autoscale.js';
import { makeContext, type Context, type GlobalOptions } from './context.js';
import { DEFAULT_SERVER } from './defaults.js';


export interface ProgramIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The context flags as typed on this command line (not from the environment). */
function fromCommandLine(program: Command): { server?: string; caFile?: string; tokenFile?: string } {
  const opts = program.opts<GlobalOptions>();
  const typed = (key: 'server' | 'caFile' | 'tokenFile') => (program.getOptionValueSource(key) === 'cli' ? opts[key] : undefined);
  return { server: typed('server'), caFile: typed('caFile'), tokenFile: typed('tokenFile') };
}

export function buildProgram(io: ProgramIo, env: NodeJS.ProcessEnv = process.env): { program: Command; context: () => Context | undefined } {
  const program = new Command('fleetctl')
    .description('operate a Cline fleet: tasks, nodes, teams, providers, forges, join tokens')
    .addOption(new Option('--server <host:port>', `control plane address(es), comma-separated (default: the context's, else ${DEFAULT_SERVER})`).env('FLEET_SERVER'))
    .addOption(new Option('--context <name>', 'a named context from the config file (fleetctl config get-contexts)').env('FLEET_CONTEXT'))
    .addOption(new Option('--token <token>', 'admin token').env('FLEET_TOKEN'))
    .addOption(new Option('--token-file <path>', 'read the admin token from a file').env('FLEET_TOKEN_FILE'))
    .addOption(new Option('--ca-file <path>', "the fleet CA to verify the control plane against (its DATA_DIR/tls/ca.crt); default: the system's roots").env('FLEET_CA_FILE'))
    .addOption(new Option('-o, --output <format>', 'table or json').default('table'))
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let context: Context | undefined;
  const ctx = () => (context ??= makeContext(program.opts<GlobalOptions>(), io, env));
  for (const sub of [taskCommand(ctx), nodeCommand(ctx), clusterCommand(ctx), tokenCommand(ctx), providerCommand(ctx), forgeCommand(ctx), teamCommand(ctx), rolloutCommand(ctx), autoscaleCommand(ctx), accessTokenCommand(ctx), whoAmICommand(ctx), auditCommand(ctx), backupCommand(ctx), statusCommand(ctx), configCommand(io, env, () => program.opts<GlobalOptions>().output, () => fromCommandLine(program))]) program.addCommand(sub);
  // Added subcommands do not inherit these settings: apply them to the whole tree.
  const walk = (command: Command) => {
    command.configureOutput({ writeOut: io.out, writeErr: io.err }).exitOverride();
    command.commands.forEach(walk);
  };
  walk(program);
  return { program, context: () => context };
}
