import type { Context } from '../context.js';

export async function createToken(ctx: Context, ttlMs: number, maxUses: number): Promise<void> {
  const res = await ctx.client().createJoinToken({ ttlMs, maxUses });
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ token: res.token, tokenId: res.tokenId, expiresAt: new Date(res.expiresAtMs).toISOString(), maxUses: res.maxUses }, null, 2) + '\n');
    return;
  }
  ctx.out(`${res.token}\n`);
  ctx.err(`join token ${res.tokenId}: valid until ${new Date(res.expiresAtMs).toISOString()}, for ${res.maxUses} node(s); it is shown only once\n`);
}
