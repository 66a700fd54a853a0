/** Access tokens, `whoami` and the audit trail. */
import type { AccessToken__Output } from '../../../proto/gen/fleet/v1/AccessToken.js';
import type { AuditEntry__Output } from '../../../proto/gen/fleet/v1/AuditEntry.js';
import type { Context } from '../context.js';
import { table } from '../output.js';

const iso = (ms: number | string) => (Number(ms) ? new Date(Number(ms)).toISOString() : '');

function tokenView(t: AccessToken__Output, now: number) {
  const state = Number(t.revokedAtMs) ? 'REVOKED' : Number(t.expiresAtMs) && Number(t.expiresAtMs) <= now ? 'EXPIRED' : 'VALID';
  return { name: t.name, role: t.role, ...(t.team ? { team: t.team } : {}), state, createdBy: t.createdBy, createdAt: iso(t.createdAtMs), expiresAt: iso(t.expiresAtMs) || 'never', ...(Number(t.rotatedAtMs) ? { rotatedAt: iso(t.rotatedAtMs) } : {}), ...(Number(t.revokedAtMs) ? { revokedAt: iso(t.revokedAtMs) } : {}) };
}

/** The secret goes to standard output alone (for a file or a secret store); what it is, to stderr. */
function printSecret(ctx: Context, token: string, t: AccessToken__Output | null, what: string): void {
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ token, ...(t ? tokenView(t, Date.now()) : {}) }, null, 2) + '\n');
    return;
  }
  ctx.out(`${token}\n`);
  ctx.err(`${what}: it is shown only once; keep it in a file only you can read and pass it with --token-file\n`);
}

export async function createAccessToken(ctx: Context, name: string, role: string, ttlMs: number, team = ''): Promise<void> {
  const res = await ctx.client().createAccessToken({ name, role, ttlMs, team });
  const t = res.accessToken;
  printSecret(ctx, res.token, t, `access token ${name} (${role}${team ? ` of team ${team}` : ''}), ${Number(t?.expiresAtMs) ? `valid until ${iso(t!.expiresAtMs)}` : 'no expiry'}`);
}

export async function rotateAccessToken(ctx: Context, name: string): Promise<void> {
  const res = await ctx.client().rotateAccessToken({ name });
  printSecret(ctx, res.token, res.accessToken, `access token ${name} rotated: the old secret is refused from now on`);
}

export async function listAccessTokens(ctx: Context): Promise<void> {
  const now = Date.now();
  const tokens = (await ctx.client().listAccessTokens()).map((t) => tokenView(t, now));
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(tokens, null, 2) + '\n');
    return;
  }
  ctx.out(table(['NAME', 'ROLE', 'STATE', 'CREATED BY', 'CREATED', 'EXPIRES'], tokens.map((t) => [t.name, t.role, t.state, t.createdBy, t.createdAt, t.expiresAt])));
}

export async function revokeAccessToken(ctx: Context, name: string): Promise<void> {
  const t = await ctx.client().revokeAccessToken({ name });
  if (ctx.format === 'json') ctx.out(JSON.stringify(tokenView(t, Date.now()), null, 2) + '\n');
  else ctx.out(`access token ${t.name} (${t.role}) revoked: every replica refuses it from now on\n`);
}

export async function whoAmI(ctx: Context): Promise<void> {
  const t = await ctx.client().whoAmI();
  if (ctx.format === 'json') ctx.out(JSON.stringify(tokenView(t, Date.now()), null, 2) + '\n');
  else ctx.out(`${t.name} (${t.role}${t.team ? ` of team ${t.team}` : ''})${Number(t.expiresAtMs) ? `, valid until ${iso(t.expiresAtMs)}` : ''}\n`);
}

/**
 * The audit trail. A table shows one line per call (its result); a call whose
 * request was recorded and whose result was not (the replica died mid-call)
 * shows as UNKNOWN. JSON shows every entry as stored.
 */
export async function showAudit(ctx: Context, options: { sinceMs: number; actor: string; follow: boolean }): Promise<void> {
  const pending = new Map<string, AuditEntry__Output>();
  const row = (e: AuditEntry__Output, outcome: string) => [iso(e.atMs), e.actor, e.role, e.action, e.target || '-', e.peer, outcome + (e.error ? `: ${e.error}` : '')];
  const header = ['TIME', 'ACTOR', 'ROLE', 'ACTION', 'TARGET', 'FROM', 'OUTCOME'];
  const rows: string[][] = [];
  let printedHeader = false;
  const emit = (r: string[]) => {
    if (!options.follow) {
      rows.push(r);
      return;
    }
    // Following: one line as each call ends, under a header printed once.
    const text = table(header, [r]).split('\n');
    ctx.out((printedHeader ? text.slice(1) : text).join('\n'));
    printedHeader = true;
  };
  for await (const e of ctx.client().audit({ sinceMs: options.sinceMs, actor: options.actor, follow: options.follow }, ctx.err)) {
    if (ctx.format === 'json') {
      ctx.out(JSON.stringify({ ...e, atMs: Number(e.atMs), at: iso(e.atMs) }) + '\n');
      continue;
    }
    if (e.phase === 'request') {
      pending.set(e.callId, e);
      continue;
    }
    pending.delete(e.callId);
    emit(row(e, e.outcome));
  }
  if (ctx.format === 'json') return;
  for (const e of pending.values()) rows.push(row(e, 'UNKNOWN (no result recorded)'));
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
  if (rows.length === 0 && !options.follow) ctx.err('no audit entries in that range\n');
  else if (!options.follow) ctx.out(table(header, rows));
}
