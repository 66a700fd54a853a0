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
    loadPercent: Math.round(load.currentLoad * 10) / 10,
    memoryTotalBytes: mem.total,
    memoryUsedBytes: mem.active,
    diskTotalBytes: disk?.size ?? 0,
    diskUsedBytes: disk?.used ?? 0,
  };
}
