import test from 'ava';
import { tmpdir } from 'node:os';
import { diskPressure, freeBytes } from './disk.js';

test('pressure names each directory short of space, and none when all have room', (t) => {
  const checks = [
    { what: 'data dir', path: '/var/lib/fleet/node-agent', freeBytes: 5 * 1024 ** 2 },
    { what: "Docker's data root", path: '/var/lib/docker', freeBytes: 40 * 1024 ** 3 },
    { what: 'somewhere unreadable', path: '/nope', freeBytes: null },
  ];
  t.is(diskPressure(checks, 1024 ** 3), 'data dir /var/lib/fleet/node-agent has 5.0MiB free (at least 1.0GiB wanted)');
  t.is(diskPressure(checks, 1024 ** 2), '');
  t.is(diskPressure([{ ...checks[0]!, freeBytes: 0 }, { ...checks[1]!, freeBytes: 0 }], 1), "data dir /var/lib/fleet/node-agent has 0B free (at least 1B wanted); Docker's data root /var/lib/docker has 0B free (at least 1B wanted)");
});

test('free space is read for a real directory, and for a path below one that does not exist', async (t) => {
  const here = await freeBytes(tmpdir());
  t.true(here !== null && here > 0);
  const below = await freeBytes(`${tmpdir()}/does/not/exist/yet`);
  // The same file system; other writers may change its free space between the two reads.
  t.true(below !== null && Math.abs(below - here!) < 256 * 1024 ** 2, `${below} vs ${here}`);
});
