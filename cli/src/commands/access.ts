/** `fleetctl access-token …`, `fleetctl whoami` and `fleetctl audit`. */
import { Command, Option } from 'commander';
import { createAccessToken, listAccessTokens, revokeAccessToken, rotateAccessToken, showAudit, whoAmI } from '../actions/access.js';
import type { Context } from '../context.js';
import { durationFlag } from './flags.js';

export function accessTokenCommand(ctx: () => Context): Command {
  const tokens = new Command('access-token').description('access tokens for people and programs: a name, a role, an expiry (admins only)');
  tokens
    .command('create')
    .description('create an access token; it is printed once')
    .argument('<name>', 'its name: the actor the audit trail records')
    .addOption(new Option('--role <role>', 'what it may do').choices(['viewer', 'submitter', 'operator', 'admin']).makeOptionMandatory())
    .option('--ttl <duration>', 'how long it is valid (default: no expiry; at most 366d)', durationFlag('--ttl'))
    .option('--team <name>', 'scope it to one team: it sees, submits and cancels that team\'s tasks only (viewer or submitter)', '')
    .action(async (name: string, o) => createAccessToken(ctx(), name, o.role, o.ttl ?? 0, o.team));
  tokens
    .command('list')
    .description('list access tokens (never their secrets)')
    .action(async () => listAccessTokens(ctx()));
  tokens
    .command('revoke')
    .description('revoke an access token: every replica refuses it from now on')
    .argument('<name>', 'the token name ("bootstrap" for the bootstrap admin token)')
    .action(async (name: string) => revokeAccessToken(ctx(), name));
  tokens
    .command('rotate')
    .description('a new secret for the token (same name and role); the old one is refused at once')
    .argument('<name>', 'the token name ("bootstrap" for the bootstrap admin token)')
    .action(async (name: string) => rotateAccessToken(ctx(), name));
  return tokens;
}

export function whoAmICommand(ctx: () => Context): Command {
  return new Command('whoami').description('the access token in use: its name and role').action(async () => whoAmI(ctx()));
}

export function auditCommand(ctx: () => Context): Command {
  return new Command('audit')
    .description('who changed what: every call that changed something (or was refused), oldest first (operators and admins)')
    .option('--since <duration>', 'entries from this long ago (default 24h; 0 for everything kept)', durationFlag('--since'))
    .option('--actor <name>', 'only this access token\'s calls')
    .option('-f, --follow', 'keep printing calls as they happen')
    .action(async (o) => showAudit(ctx(), { sinceMs: o.since === 0 ? 0 : Date.now() - (o.since ?? 86_400_000), actor: o.actor ?? '', follow: Boolean(o.follow) }));
}
