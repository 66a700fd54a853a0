/** `fleetctl provider …`: the LLM providers Cline tasks use. */
import { Command } from 'commander';
import type { Context } from '../context.js';
import { labelList, nameList, wholeNumber } from './flags.js';
import { deleteProvider, listProviders, setProvider } from '../actions/providers.js';

export function providerCommand(ctx: () => Context): Command {
  const provider = new Command('provider').description('LLM providers for Cline tasks (keys are stored encrypted and never shown)');
  provider
    .command('set')
    .description('create or replace a provider: fleetctl provider set NAME --base-url URL --model MODEL --api-key-file FILE')
    .argument('<name>', 'provider name; tasks name it with --provider (default "default")')
    .requiredOption('--base-url <url>', 'OpenAI-compatible base URL, e.g. https://api.example.com/v1')
    .requiredOption('--model <model>', 'model name the provider expects')
    .requiredOption('--api-key-file <path>', 'file holding the API key ("-" reads standard input); never pass a key on the command line')
    .option('--insecure-http', 'allow a plain http:// base URL on a host that is not loopback: the key then crosses the network in clear')
    .option('--node-selector <k=v,...>', 'only nodes with these labels run its tasks and receive its key', labelList('--node-selector'), {})
    .option('--fallback <name,...>', 'providers to try, in order, when this one keeps failing a call (429, 5xx, timeouts, a refused key); each uses its own key and model', nameList, [])
    .option('--max-concurrent <n>', 'Cline attempts using this provider that may run at once across the fleet; more wait in PENDING, saying why (0: no limit)', wholeNumber('--max-concurrent', 0), 0)
    .option('--max-rpm <n>', 'requests a minute to this provider across the fleet: each gateway waits for a permit before each request, so calls wait instead of meeting 429s (0: no limit)', wholeNumber('--max-rpm', 0), 0)
    .option('--max-tpm <n>', 'tokens a minute across the fleet: once the last minute\'s calls used this many, new calls wait (0: no limit)', wholeNumber('--max-tpm', 0), 0)
    .action(async (name: string, o) =>
      setProvider(ctx(), { name, baseUrl: o.baseUrl, model: o.model, apiKeyFile: o.apiKeyFile, insecureHttp: Boolean(o.insecureHttp), nodeSelector: o.nodeSelector, fallbacks: o.fallback, maxConcurrent: o.maxConcurrent, maxRpm: o.maxRpm, maxTpm: o.maxTpm }),
    );
  provider
    .command('list')
    .description('list providers (never their keys)')
    .action(async () => listProviders(ctx()));
  provider
    .command('delete')
    .description('delete a provider; tasks that name it fail until it is set again')
    .argument('<name>', 'provider name')
    .action(async (name: string) => deleteProvider(ctx(), name));
  return provider;
}
