/** `fleetctl forge …`: the git forges Cline results are delivered to as branches and pull requests. */
import { Command, Option } from 'commander';
import { FORGE_TYPES } from '../../../common/model.js';
import type { Context } from '../context.js';
import { deleteForge, listForges, setForge } from '../actions/forges.js';

export function forgeCommand(ctx: () => Context): Command {
  const forge = new Command('forge').description('git forges that receive Cline results as branches and pull requests (tokens are stored encrypted and never shown)');
  forge
    .command('set')
    .description('create or replace a forge: fleetctl forge set NAME --type github --base-url https://api.github.com --forge-token-file FILE')
    .argument('<name>', 'forge name; tasks name it with --forge')
    .addOption(new Option('--type <type>', 'the forge\'s API').choices([...FORGE_TYPES]).makeOptionMandatory())
    .requiredOption('--base-url <url>', 'the API root: https://api.github.com (or https://HOST/api/v3), https://HOST/api/v4 (GitLab), https://HOST/api/v1 (Gitea)')
    .option('--git-url <url>', 'where its repositories are (their URLs start with it); the token is sent nowhere else. Default: https://github.com/ for api.github.com, else the API\'s origin', '')
    .requiredOption('--forge-token-file <path>', 'file holding a token that may push branches and open pull requests ("-" reads standard input); never pass a token on the command line')
    .option('--insecure-http', 'allow plain http:// to a host that is not loopback: the token then crosses the network in clear')
    .action(async (name: string, o) => setForge(ctx(), { name, type: o.type, baseUrl: o.baseUrl, gitUrl: o.gitUrl, tokenFile: o.forgeTokenFile, insecureHttp: Boolean(o.insecureHttp) }));
  forge
    .command('list')
    .description('list forges (never their tokens)')
    .action(async () => listForges(ctx()));
  forge
    .command('delete')
    .description('delete a forge; tasks delivering to it fail until it is set again')
    .argument('<name>', 'forge name')
    .action(async (name: string) => deleteForge(ctx(), name));
  return forge;
}
