/** `fleetctl backup create|inspect|restore`. */
import { Command } from 'commander';
import { backupCreate, backupInspect, backupRestore, parseAt } from '../actions/backup.js';
import type { Context } from '../context.js';

export function backupCommand(ctx: () => Context): Command {
  const backup = new Command('backup').description('back up the fleet\'s state and restore it as it was at a chosen moment (admins only)');
  backup
    .command('create')
    .description('write every bucket, the results, events, audit trail and logs to a new file while the fleet runs; with --follow, keep appending every change until stopped, so that any moment since can be restored')
    .requiredOption('--out <file>', 'the backup file to create (never overwritten; mode 0600: it holds credential hashes)')
    .option('--follow', 'after the base backup, keep appending changes (checkpointed) until Ctrl-C or SIGTERM; reconnects by itself', false)
    .action(async (o: { out: string; follow: boolean }) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await backupCreate(ctx(), { out: o.out, follow: o.follow, signal: stop.signal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  backup
    .command('inspect')
    .description('verify a backup file (every checksum) and show what it holds and which moments it restores')
    .argument('<file>', 'the backup file')
    .option('--drop-incomplete-tail', 'accept a file whose last segment was cut off (a follower killed mid-write)', false)
    .action((file: string, o: { dropIncompleteTail: boolean }) => backupInspect(ctx(), file, o.dropIncompleteTail));
  backup
    .command('restore')
    .description('restore a backup into an empty fleet (a new JetStream), as it was at --at; the file is verified whole before anything changes')
    .requiredOption('--from <file>', 'the backup file')
    .option('--at <time>', 'the moment to restore: ISO 8601 with its zone, or ms since 1970 (default: the latest the file covers)', parseAt)
    .option('--force', 'replace a fleet that is not empty (everything it holds is purged first)', false)
    .option('--drop-incomplete-tail', 'restore from a file whose last segment was cut off, up to its last checkpoint', false)
    .action(async (o: { from: string; at?: number; force: boolean; dropIncompleteTail: boolean }) => backupRestore(ctx(), { from: o.from, atMs: o.at ?? 0, force: o.force, dropIncompleteTail: o.dropIncompleteTail }));
  return backup;
}
