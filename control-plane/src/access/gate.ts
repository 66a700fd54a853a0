/**
 * Every FleetService call passes here: who is calling (the bearer token,
 * failures limited per peer), may it do this (the policy table), and, for a
 * call that changes something, the audit trail before and after.
 */
import type * as grpc from '@grpc/grpc-js';
import { AuthError, FleetError, errorMessage } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import { bearerToken } from '../credentials.js';
import { newCallId, type AuditEntry, type AuditLog } from '../store/audit-log.js';
import type { AccessTokens } from './access-tokens.js';
import { peerAddress, type AuthLimiter } from './auth-limiter.js';
import { FLEET_POLICY, type FleetMethod } from './policy.js';
import { requireRole, type Principal } from './roles.js';

/** The caller of one call, as the handlers see it. */
export interface Caller extends Principal {
  peer: string;
}

/** What a handler returns about its target when the request did not name it (a new task's id). */
export interface Audited<Res> {
  response: Res;
  target?: string;
}

interface ServerCall {
  metadata: grpc.Metadata;
  getPeer(): string;
}

export class Gate {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly limiter: AuthLimiter,
    private readonly audit: AuditLog,
    private readonly replicaId: string,
    private readonly log: Logger,
  ) {}

  /** Authenticates and authorizes; throws AuthError, ResourceExhaustedError or PermissionError. */
  async admit(call: ServerCall, method: FleetMethod): Promise<Caller> {
    const peer = peerAddress(call.getPeer());
    let principal: Principal;
    try {
      principal = await this.tokens.authenticate(bearerToken(call.metadata.get('authorization')[0]));
    } catch (err) {
      if (err instanceof AuthError) {
        // A valid token is never held off (a misconfigured neighbour behind the same NAT must not lock
        // everyone out); failures past the burst get a terse refusal and no log line each.
        this.limiter.check(peer);
        this.limiter.failed(peer);
        this.log.warn({ peer, method, reason: err.message }, 'authentication failed');
      }
      throw err;
    }
    const caller = { ...principal, peer };
    const policy = FLEET_POLICY[method];
    try {
      requireRole(caller, policy.role, policy.what);
    } catch (err) {
      // A refused attempt to change something is worth knowing about; a refused read is not.
      if (policy.mutates) await this.record(caller, method, '', 'result', err).catch(() => {});
      throw err;
    }
    return caller;
  }

  /**
   * Runs a changing call between its two audit entries. The request entry
   * must be stored or the call is refused; the result entry is stored before
   * the caller hears the outcome (a failure to store it is logged: the
   * change has happened and cannot be refused any more).
   */
  async audited<Res>(caller: Caller, method: FleetMethod, request: Record<string, unknown>, body: () => Promise<Audited<Res>>): Promise<Res> {
    const callId = newCallId();
    const target = FLEET_POLICY[method].target?.(request) ?? '';
    await this.record(caller, method, target, 'request', null, callId);
    let outcome: Audited<Res>;
    try {
      outcome = await body();
    } catch (err) {
      await this.record(caller, method, target, 'result', err, callId).catch((e: unknown) => this.log.error({ err: errorMessage(e), method, callId }, 'audit result not recorded'));
      throw err;
    }
    await this.record(caller, method, outcome.target ?? target, 'result', null, callId).catch((e: unknown) => this.log.error({ err: errorMessage(e), method, callId }, 'audit result not recorded'));
    return outcome.response;
  }

  private record(caller: Caller, method: FleetMethod, target: string, phase: AuditEntry['phase'], err: unknown, callId: string = newCallId()): Promise<void> {
    return this.audit.write({
      callId,
      atMs: Date.now(),
      actor: caller.name,
      role: caller.role,
      action: method,
      target,
      peer: caller.peer,
      phase,
      outcome: phase === 'request' ? '' : err ? (err instanceof FleetError ? err.code : 'INTERNAL') : 'OK',
      error: err ? errorMessage(err).slice(0, 512) : '',
      replica: this.replicaId,
    });
  }
}
