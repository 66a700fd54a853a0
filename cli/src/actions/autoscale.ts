/** Autoscale actions for `fleetctl autoscale …`. */
import { formatDuration } from '../../../common/duration.js';
import type { PoolConfig } from '../../../common/model.js';
import type { AutoscalePool__Output } from '../../../proto/gen/fleet/v1/AutoscalePool.js';
import type { Context } from '../context.js';
import { labelsText, table } from '../output.js';
import { safeText } from '../safe-text.js';


const time = (ms: number | string | undefined) => (Number(ms ?? 0) > 0 ? new Date(Number(ms)).toISOString() : '');
const refs = (nodes: Array<{ id: string; name: string }> | undefined) => (nodes ?? []).map((n) => ({ id: n.id, name: n.name }));

export function poolView(p: AutoscalePool__Output) {
  const call = p.lastCall;
  return {
    name: p.name,
    selector: p.selector ?? {},
    minNodes: p.minNodes,
    maxNodes: p.maxNodes,
    scaleUpCooldownMs: Number(p.scaleUpCooldownMs),
    scaleDownCooldownMs: Number(p.scaleDownCooldownMs),
    current: p.current,
    desired: p.desired,
    why: p.why,
    decidedAt: time(p.decidedAtMs),
    draining: refs(p.draining),
    released: refs(p.released),
    lastCall: call
      ? { startedAt: time(call.startedAtMs), endedAt: time(call.endedAtMs), current: call.current, desired: call.desired, remove: refs(call.remove), result: call.result, error: call.error }
      : null,
    failures: p.failures,
    nextRetryAt: time(p.nextRetryAtMs),
    callStartedAt: time(p.callStartedAtMs),
    hookConfigured: p.hookConfigured,
  };
}

export async function setAutoscalePool(ctx: Context, input: PoolConfig): Promise<void> {
  const p = await ctx.client().setAutoscalePool(input);
  ctx.out(ctx.format === 'json' ? JSON.stringify(poolView(p), null, 2) + '\n' : `autoscale pool ${p.name} set: nodes with ${labelsText(p.selector ?? {})}, ${p.minNodes} to ${p.maxNodes}${p.hookConfigured ? '' : ' (no --autoscale-hook on the control plane: counts are computed and shown only)'}\n`);
}

export async function listAutoscalePools(ctx: Context): Promise<void> {
  const { pools } = await ctx.client().listAutoscalePools({});
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(pools.map(poolView), null, 2) + '\n');
    return;
  }
  if (pools.length === 0) {
    ctx.out('no autoscale pools; add one with: fleetctl autoscale set POOL --selector k=v --min N --max N\n');
    return;
  }
  ctx.out(table(['POOL', 'SELECTOR', 'MIN', 'MAX', 'UP COOLDOWN', 'DOWN COOLDOWN'], pools.map((p) => [p.name, labelsText(p.selector ?? {}), String(p.minNodes), String(p.maxNodes), formatDuration(Number(p.scaleUpCooldownMs)), formatDuration(Number(p.scaleDownCooldownMs))])));
}

function hookText(p: ReturnType<typeof poolView>, now: number): string {
  if (!p.hookConfigured) return 'none (signal only)';
  if (p.callStartedAt) return `calling since ${p.callStartedAt}`;
  const call = p.lastCall;
  if (!call) return 'not called yet';
  const removed = call.remove.length ? `, remove ${call.remove.map((n) => n.name).join(',')}` : '';
  const result = call.result === 'OK' ? 'OK' : `${call.result}: ${call.error}`;
  const retry = p.nextRetryAt && Date.parse(p.nextRetryAt) > now ? `; ${p.failures} failure(s) in a row, next try in ${formatDuration(Date.parse(p.nextRetryAt) - now)}` : p.failures ? `; ${p.failures} failure(s) in a row` : '';
  return `${call.endedAt} ${call.current}→${call.desired}${removed}: ${result}${retry}`;
}

export async function showAutoscaleStatus(ctx: Context, name: string, now = Date.now()): Promise<void> {
  const { pools } = await ctx.client().listAutoscalePools({ name });
  const views = pools.map(poolView);
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(name ? views[0] : views, null, 2) + '\n');
    return;
  }
  if (views.length === 0) {
    ctx.out('no autoscale pools; add one with: fleetctl autoscale set POOL --selector k=v --min N --max N\n');
    return;
  }
  for (const p of views) {
    const lines = [
      `pool ${p.name} (${labelsText(p.selector)}, ${p.minNodes}-${p.maxNodes}): ${p.current} node(s), desired ${p.desired}`,
      `  why:      ${p.why || 'not decided yet (the leader decides every --autoscale-interval)'}`,
      ...(p.draining.length ? [`  draining: ${p.draining.map((n) => n.name).join(', ')}`] : []),
      ...(p.released.length ? [`  released: ${p.released.map((n) => n.name).join(', ')}`] : []),
      `  hook:     ${hookText(p, now)}`,
    ];
    // The hook's stderr is in its error: shown without control characters.
    ctx.out(safeText(lines.join('\n')) + '\n');
  }
}

export async function deleteAutoscalePool(ctx: Context, name: string): Promise<void> {
  const p = await ctx.client().deleteAutoscalePool({ name });
  ctx.out(ctx.format === 'json' ? JSON.stringify(poolView(p), null, 2) + '\n' : `autoscale pool ${p.name} deleted\n`);
}
