import { Command } from 'commander';
import type { Context } from '../context.js';
import { clusterStatus } from '../actions/cluster.js';

export function clusterCommand(ctx: () => Context): Command {
  const cluster = new Command('cluster').description('the control plane itself');
  cluster
    .command('status')
    .description('replicas, the leader and its epoch, JetStream replication health, node sessions per replica')
    .action(async () => clusterStatus(ctx()));
  return cluster;
}
