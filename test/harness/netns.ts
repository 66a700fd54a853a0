/**
 * A test host in its own network namespace, joined to this machine by a veth
 * pair on a private /30 that exists only inside this sandbox. Setting the
 * host-side link down cuts the host off without stopping its processes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { MissingRequirement } from './requirements.js';

export class TestNetns {
  readonly name = `fleet-${randomBytes(3).toString('hex')}`;
  private readonly hostLink = `fh-${this.name.slice(6)}`;
  private readonly nsLink = `fn-${this.name.slice(6)}`;
  readonly hostAddress: string;
  readonly nsAddress: string;

  private constructor(subnet: number) {
    this.hostAddress = `10.213.${subnet}.1`;
    this.nsAddress = `10.213.${subnet}.2`;
  }

  static create(): TestNetns {
    try {
      execFileSync('ip', ['-V'], { stdio: 'ignore' });
    } catch {
      throw new MissingRequirement('ip (iproute2) is missing: apt-get install -y iproute2; network-namespace tests also need root');
    }
    const ns = new TestNetns(1 + (randomBytes(1)[0]! % 250));
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    try {
      ip('netns', 'add', ns.name);
      ip('link', 'add', ns.hostLink, 'type', 'veth', 'peer', 'name', ns.nsLink);
      ip('link', 'set', ns.nsLink, 'netns', ns.name);
      ip('addr', 'add', `${ns.hostAddress}/30`, 'dev', ns.hostLink);
      ip('link', 'set', ns.hostLink, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.nsAddress}/30`, 'dev', ns.nsLink);
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', ns.nsLink, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up');
    } catch (err) {
      ns.destroy();
      throw new MissingRequirement(`cannot make a network namespace (root is needed): ${(err as Error).message}`);
    }
    return ns;
  }

  /** Cuts the namespace off (true) or joins it again (false). */
  cut(off: boolean): void {
    execFileSync('ip', ['link', 'set', this.hostLink, off ? 'down' : 'up'], { stdio: 'pipe' });
  }

  destroy(): void {
    try {
      execFileSync('ip', ['link', 'del', this.hostLink], { stdio: 'ignore' });
    } catch {}
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {}
  }
}
