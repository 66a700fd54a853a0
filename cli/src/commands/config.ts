/** `fleetctl config …`: named contexts (server, CA, token file) in the config file. */
import { Command } from 'commander';
import { configPath, readConfig, setContext, useContext, type FleetContext } from '../config-file.js';
import { table } from '../output.js';

/**
 * `--server`, `--ca-file` and `--token-file` are fleetctl's global flags;
 * set-context takes them as given on its command line (`given`), never from
 * the environment.
 */
export function configCommand(io: { out: (text: string) => void }, env: NodeJS.ProcessEnv, format: () => string, given: () => Partial<FleetContext>): Command {
  const config = new Command('config').description('named contexts: which control plane, which CA, which token file');
  config
    .command('set-context')
    .description('create or update a context with --server, --ca-file and --token-file (the token file is named, the token never copied); the first context made becomes current')
    .argument('<name>', 'context name')
    .action((name: string) => {
      const path = configPath(env);
      const saved = setContext(path, name, given());
      io.out(`context ${name}: ${saved.server}${saved.caFile ? `, CA ${saved.caFile}` : ''}${saved.tokenFile ? `, token from ${saved.tokenFile}` : ''} (in ${path})\n`);
    });
  config
    .command('use-context')
    .description('make a context the current one')
    .argument('<name>', 'context name')
    .action((name: string) => {
      useContext(configPath(env), name);
      io.out(`now using context ${name}\n`);
    });
  config
    .command('get-contexts')
    .description('list contexts; * marks the current one')
    .action(() => {
      const { currentContext, contexts } = readConfig(configPath(env));
      const rows = Object.entries(contexts).map(([name, c]) => ({ current: name === currentContext, name, ...c }));
      if (format() === 'json') io.out(JSON.stringify(rows, null, 2) + '\n');
      else io.out(table(['CURRENT', 'NAME', 'SERVER', 'CA', 'TOKEN FILE'], rows.map((r) => [r.current ? '*' : '', r.name, r.server, r.caFile ?? '-', r.tokenFile ?? '-'])));
    });
  return config;
}
