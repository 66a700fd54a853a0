/** What a heartbeat says about the machine, from systeminformation. */
import os from 'node:os';
import si from 'systeminformation';
import type { NodeResources } from '../../common/model.js';

export async function readResources(dataDir: string): Promise<NodeResources> {
  const [load, mem, disks] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize()]);
  // The file system that holds the data dir: the longest mount point that prefixes it.
  const disk = disks
    .filter((d) => dataDir === d.mount || dataDir.startsWith(d.mount.endsWith('/') ? d.mount : `${d.mount}/`))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  return {
    cpus: os.cpus().length,
    loadPercent: Math.round(figure(load.currentLoad) * 10) / 10,
    memoryTotalBytes: Math.round(figure(mem.total)),
    memoryUsedBytes: Math.round(figure(mem.active)),
    diskTotalBytes: Math.round(figure(disk?.size)),
    diskUsedBytes: Math.round(figure(disk?.used)),
  };
}

/** A measurement the control plane can take: a finite number, not negative (systeminformation gives NaN when it cannot tell). */
function figure(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : 0;
}
