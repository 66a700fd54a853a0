/**
 * Failed authentication, limited per peer address: a token bucket of
 * `burst` failures refilled one every `refillEveryMs`. While a peer's bucket
 * is empty its failures are answered RESOURCE_EXHAUSTED, unlogged; a valid
 * token from the same address still works (a NAT shares addresses). Secrets are
 * 256 random bits, so this is not what stops guessing; it keeps a
 * misconfigured client or a scanner from filling the log and the CPU.
 * Memory is bounded: past `maxPeers` the stalest peer is forgotten.
 */
import type { Clock } from '../../../common/clock.js';
import { ResourceExhaustedError } from '../../../common/errors.js';

export interface AuthLimits {
  burst: number;
  refillEveryMs: number;
  maxPeers: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = { burst: 10, refillEveryMs: 6_000, maxPeers: 10_000 };

interface Bucket {
  tokens: number;
  atMs: number;
}

export class AuthLimiter {
  private readonly peers = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: AuthLimits = DEFAULT_AUTH_LIMITS,
  ) {}

  /** Throws while the peer has no failures left. */
  check(peer: string): void {
    const bucket = this.refill(peer);
    if (bucket && bucket.tokens < 1) {
      const waitS = Math.ceil((this.limits.refillEveryMs - (this.clock.now() - bucket.atMs)) / 1000);
      throw new ResourceExhaustedError(`too many failed authentications from ${peer}: wait ${Math.max(1, waitS)}s, and check the token (fleetctl --token-file, or FLEET_TOKEN)`);
    }
  }

  failed(peer: string): void {
    const bucket = this.refill(peer) ?? { tokens: this.limits.burst, atMs: this.clock.now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.peers.delete(peer);
    this.peers.set(peer, bucket);
    if (this.peers.size > this.limits.maxPeers) this.peers.delete(this.peers.keys().next().value!);
  }

  private refill(peer: string): Bucket | undefined {
    const bucket = this.peers.get(peer);
    if (!bucket) return undefined;
    const now = this.clock.now();
    const earned = Math.floor((now - bucket.atMs) / this.limits.refillEveryMs);
    if (earned > 0) {
      bucket.tokens = Math.min(this.limits.burst, bucket.tokens + earned);
      bucket.atMs += earned * this.limits.refillEveryMs;
      if (bucket.tokens >= this.limits.burst) this.peers.delete(peer);
    }
    return bucket;
  }
}

/** The address part of a gRPC peer ("ipv4:1.2.3.4:5678", "[::1]:5678", "1.2.3.4:5678"). */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(bare);
  if (bracketed) return bracketed[1]!;
  const lastColon = bare.lastIndexOf(':');
  return lastColon > 0 && bare.indexOf(':') === lastColon ? bare.slice(0, lastColon) : bare;
}
