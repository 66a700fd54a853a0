import { formatBytes, formatDuration } from '../../../common/duration.js';
import type { Context } from '../context.js';
import { table } from '../output.js';

export async function clusterStatus(ctx: Context): Promise<void> {
  const status = await ctx.client().clusterStatus();
  const now = Date.now();
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(status, null, 2) + '\n');
    return;
  }
  const leader = status.leader?.replicaId
    ? `${status.leader.replicaId} (epoch ${status.leader.epoch}, renewed ${formatDuration(Math.max(0, now - Number(status.leader.renewedAtMs)))} ago)`
    : 'none: no replica holds the lease (scheduling is paused)';
  ctx.out(`Leader:     ${leader}\n`);
  ctx.out(`JetStream:  ${status.jetstreamHealthy ? 'healthy' : 'DEGRADED: see the streams below'}\n`);
  ctx.out(`Answered by ${status.answeredBy}\n\n`);
  ctx.out(
    table(
      ['REPLICA', 'ADDRESS', 'LEADER', 'SERVING', 'NODE SESSIONS', 'UP', 'SEEN'],
      status.replicas.map((r) => [
        r.id,
        r.address,
        r.leader ? 'yes' : '',
        r.serving ? 'yes' : 'NO',
        String(r.nodeSessions),
        formatDuration(Math.max(0, now - Number(r.startedAtMs))),
        `${formatDuration(Math.max(0, now - Number(r.lastSeenMs)))} ago`,
      ]),
    ) + '\n',
  );
  ctx.out(
    table(
      ['STREAM', 'REPLICAS', 'STORAGE', 'LEADER', 'PEERS', 'MESSAGES', 'SIZE'],
      status.streams.map((s) => [
        s.name,
        String(s.replicas),
        s.storage,
        s.leader || (s.replicas > 1 ? 'NONE' : '-'),
        s.peers.map((p) => `${p.name}${p.offline ? '(offline)' : p.current ? '' : `(lag ${p.lag})`}`).join(',') || '-',
        String(s.messages),
        formatBytes(Number(s.bytes)),
      ]),
    ),
  );
}
