import type { JoinToken__Output } from '../../../proto/gen/fleet/v1/JoinToken.js';
import type { Context } from '../context.js';
import { labelsText, table } from '../output.js';

export async function createToken(ctx: Context, ttlMs: number, maxUses: number, labels: Record<string, string> = {}, maxSlots = 0): Promise<void> {
  const res = await ctx.client().createJoinToken({ ttlMs, maxUses, labels, maxSlots });
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ token: res.token, tokenId: res.tokenId, expiresAt: new Date(res.expiresAtMs).toISOString(), maxUses: res.maxUses }, null, 2) + '\n');
    return;
  }
  ctx.out(`${res.token}\n`);
  ctx.err(`join token ${res.tokenId}: valid until ${new Date(res.expiresAtMs).toISOString()}, for ${res.maxUses} node(s); it is shown only once\n`);
}

function tokenView(t: JoinToken__Output, now: number) {
  const state = t.uses >= t.maxUses ? 'USED-UP' : Number(t.expiresAtMs) <= now ? 'EXPIRED' : 'VALID';
  return { tokenId: t.tokenId, state, uses: t.uses, maxUses: t.maxUses, labels: t.labels ?? {}, maxSlots: t.maxSlots, createdAt: new Date(Number(t.createdAtMs)).toISOString(), expiresAt: new Date(Number(t.expiresAtMs)).toISOString() };
}

export async function listTokens(ctx: Context): Promise<void> {
  const now = Date.now();
  const tokens = (await ctx.client().listJoinTokens()).map((t) => tokenView(t, now));
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(tokens, null, 2) + '\n');
    return;
  }
  ctx.out(table(['TOKEN', 'STATE', 'USES', 'LABELS', 'MAX SLOTS', 'CREATED', 'EXPIRES'], tokens.map((t) => [t.tokenId, t.state, `${t.uses}/${t.maxUses}`, labelsText(t.labels) || '-', t.maxSlots ? String(t.maxSlots) : '-', t.createdAt, t.expiresAt])));
}

export async function revokeToken(ctx: Context, tokenId: string): Promise<void> {
  const t = await ctx.client().revokeJoinToken({ tokenId });
  if (ctx.format === 'json') ctx.out(JSON.stringify(tokenView(t, Date.now()), null, 2) + '\n');
  else ctx.out(`join token ${t.tokenId} revoked (${t.uses} of ${t.maxUses} use(s) were spent)\n`);
}
