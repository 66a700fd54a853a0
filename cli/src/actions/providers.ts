/** Provider actions for `fleetctl provider …`. */
import type { Provider__Output } from '../../../proto/gen/fleet/v1/Provider.js';
import type { Context } from '../context.js';
import { labelsText, table } from '../output.js';
import { readSecretFile } from '../secret-file.js';

export interface ProviderInput {
  name: string;
  baseUrl: string;
  model: string;
  apiKeyFile: string;
  insecureHttp: boolean;
  nodeSelector: Record<string, string>;
  fallbacks: string[];
  maxConcurrent: number;
  maxRpm: number;
  maxTpm: number;
}

const view = (p: Provider__Output) => ({
  name: p.name,
  baseUrl: p.baseUrl,
  model: p.model,
  hasApiKey: p.hasApiKey,
  insecureHttp: p.insecureHttp,
  nodeSelector: p.nodeSelector ?? {},
  fallbacks: p.fallbacks ?? [],
  maxConcurrent: p.maxConcurrent ?? 0,
  maxRpm: Number(p.maxRpm ?? 0),
  maxTpm: Number(p.maxTpm ?? 0),
  ...(p.usage
    ? {
        usage: {
          requestsLastMinute: Number(p.usage.requestsLastMinute),
          tokensLastMinute: Number(p.usage.tokensLastMinute),
          rpmInForce: Number(p.usage.rpmInForce),
          tpmInForce: Number(p.usage.tpmInForce),
          throttledAt: Number(p.usage.throttledAtMs) > 0 ? new Date(Number(p.usage.throttledAtMs)).toISOString() : null,
        },
      }
    : {}),
  updatedAt: new Date(Number(p.updatedAtMs)).toISOString(),
});

/** "12/60 (in force 45)": the last minute's use of a limit, and the limit in force when a 429 lowered it. */
function rateText(used: number, limit: number, inForce: number): string {
  if (!limit) return '-';
  return `${used}/${limit}${inForce && inForce < limit ? ` (in force ${inForce})` : ''}`;
}

export async function setProvider(ctx: Context, input: ProviderInput): Promise<void> {
  const apiKey = readSecretFile('--api-key-file', input.apiKeyFile, 'key');
  const p = await ctx.client().setProvider({ name: input.name, baseUrl: input.baseUrl, model: input.model, apiKey, insecureHttp: input.insecureHttp, nodeSelector: input.nodeSelector, fallbacks: input.fallbacks, maxConcurrent: input.maxConcurrent, maxRpm: input.maxRpm, maxTpm: input.maxTpm });
  const fallbacks =
    `${p.fallbacks?.length ? `; falls back to ${p.fallbacks.join(', then ')}` : ''}${p.maxConcurrent ? `; at most ${p.maxConcurrent} attempts at once` : ''}` +
    `${p.maxRpm ? `; at most ${p.maxRpm} requests a minute` : ''}${Number(p.maxTpm) ? `; at most ${p.maxTpm} tokens a minute` : ''}`;
  ctx.out(ctx.format === 'json' ? JSON.stringify(view(p), null, 2) + '\n' : `provider ${p.name} set: ${p.model} at ${p.baseUrl} (key stored encrypted${Object.keys(p.nodeSelector ?? {}).length ? `; only nodes with ${labelsText(p.nodeSelector)} receive it` : ''}${fallbacks})\n`);
}

export async function listProviders(ctx: Context): Promise<void> {
  const { providers } = await ctx.client().listProviders();
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(providers.map(view), null, 2) + '\n');
    return;
  }
  if (providers.length === 0) {
    ctx.out('no providers; add one with: fleetctl provider set default --base-url URL --model MODEL --api-key-file FILE\n');
    return;
  }
  ctx.out(
    table(
      ['NAME', 'MODEL', 'BASE URL', 'KEY', 'NODES', 'FALLBACKS', 'MAX CONCURRENT', 'REQUESTS/MIN', 'TOKENS/MIN', 'UPDATED'],
      providers.map((p) => [
        p.name,
        p.model,
        p.baseUrl,
        p.hasApiKey ? 'set' : '-',
        labelsText(p.nodeSelector ?? {}) || 'any',
        p.fallbacks?.join(',') || '-',
        p.maxConcurrent ? String(p.maxConcurrent) : '-',
        rateText(Number(p.usage?.requestsLastMinute ?? 0), Number(p.maxRpm ?? 0), Number(p.usage?.rpmInForce ?? 0)),
        rateText(Number(p.usage?.tokensLastMinute ?? 0), Number(p.maxTpm ?? 0), Number(p.usage?.tpmInForce ?? 0)),
        view(p).updatedAt,
      ]),
    ),
  );
}

export async function deleteProvider(ctx: Context, name: string): Promise<void> {
  const p = await ctx.client().deleteProvider({ name });
  ctx.out(ctx.format === 'json' ? JSON.stringify(view(p), null, 2) + '\n' : `provider ${p.name} deleted\n`);
}
