/** Forge actions for `fleetctl forge …`. */
import type { Forge__Output } from '../../../proto/gen/fleet/v1/Forge.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { readSecretFile } from '../secret-file.js';

export interface ForgeInput {
  name: string;
  type: string;
  baseUrl: string;
  gitUrl: string;
  tokenFile: string;
  insecureHttp: boolean;
}

const view = (f: Forge__Output) => ({
  name: f.name,
  type: f.type,
  baseUrl: f.baseUrl,
  gitUrl: f.gitUrl,
  createdAt: new Date(Number(f.createdAtMs)).toISOString(),
  updatedAt: new Date(Number(f.updatedAtMs)).toISOString(),
});

export async function setForge(ctx: Context, input: ForgeInput): Promise<void> {
  const token = readSecretFile('--forge-token-file', input.tokenFile, 'token');
  const f = await ctx.client().setForge({ name: input.name, type: input.type, baseUrl: input.baseUrl, gitUrl: input.gitUrl, token, insecureHttp: input.insecureHttp });
  ctx.out(
    ctx.format === 'json'
      ? JSON.stringify(view(f), null, 2) + '\n'
      : `forge ${f.name} set: ${f.type} at ${f.baseUrl}, for repositories under ${f.gitUrl} (token stored encrypted; it never leaves the control plane)\n` +
          `deliver a Cline task's result to it with: fleetctl task submit --agent cline --repo ${f.gitUrl}OWNER/NAME.git --deliver pr --forge ${f.name} …\n`,
  );
}

export async function listForges(ctx: Context): Promise<void> {
  const { forges } = await ctx.client().listForges();
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(forges.map(view), null, 2) + '\n');
    return;
  }
  if (forges.length === 0) {
    ctx.out('no forges; add one with: fleetctl forge set NAME --type github|gitlab|gitea --base-url URL --forge-token-file FILE\n');
    return;
  }
  ctx.out(table(['NAME', 'TYPE', 'API', 'REPOSITORIES', 'UPDATED'], forges.map((f) => [f.name, f.type, f.baseUrl, f.gitUrl, view(f).updatedAt])));
}

export async function deleteForge(ctx: Context, name: string): Promise<void> {
  const f = await ctx.client().deleteForge({ name });
  ctx.out(ctx.format === 'json' ? JSON.stringify(view(f), null, 2) + '\n' : `forge ${f.name} deleted; tasks delivering to it fail until it is set again\n`);
}
