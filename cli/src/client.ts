/**
 * The CLI's view of FleetService: promises over the generated client, the
 * admin token on every call, and failover across the --server list for
 * calls that never reached a replica. Tasks, nodes, results and log chunks
 * are decoded at this boundary (`common/wire`): actions see domain values.
 */
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import { serverNameCheck } from '../../common/tls-names.js';
import { ValidationError } from '../../common/errors.js';
import type { LogChunk, NodeSummary, Task, TaskResult, TaskState } from '../../common/model.js';
import { CHANNEL_OPTIONS, channelOptions, loadProtos } from '../../common/proto.js';
import { decodeLogChunk, decodeNode, decodeResult, decodeTask, encodeTaskState } from '../../common/wire/index.js';
import { bytes, count, str } from '../../common/wire/fields.js';
import type { AccessToken__Output } from '../../proto/gen/fleet/v1/AccessToken.js';
import type { AccessTokenRef } from '../../proto/gen/fleet/v1/AccessTokenRef.js';
import type { AuditEntry__Output } from '../../proto/gen/fleet/v1/AuditEntry.js';
import type { BackupMessage__Output } from '../../proto/gen/fleet/v1/BackupMessage.js';
import type { CreateBackupRequest } from '../../proto/gen/fleet/v1/CreateBackupRequest.js';
import type { RestoreBackupRequest } from '../../proto/gen/fleet/v1/RestoreBackupRequest.js';
import type { RestoreOptions } from '../../proto/gen/fleet/v1/RestoreOptions.js';
import type { RestoreProgress__Output } from '../../proto/gen/fleet/v1/RestoreProgress.js';
import type { CancelTaskRequest } from '../../proto/gen/fleet/v1/CancelTaskRequest.js';
import type { CreateAccessTokenRequest } from '../../proto/gen/fleet/v1/CreateAccessTokenRequest.js';
import type { CreateAccessTokenResponse__Output } from '../../proto/gen/fleet/v1/CreateAccessTokenResponse.js';
import type { ListAccessTokensResponse__Output } from '../../proto/gen/fleet/v1/ListAccessTokensResponse.js';
import type { ListAuditRequest } from '../../proto/gen/fleet/v1/ListAuditRequest.js';
import type { UpdateNodeRequest } from '../../proto/gen/fleet/v1/UpdateNodeRequest.js';
import type { ClusterStatus__Output } from '../../proto/gen/fleet/v1/ClusterStatus.js';
import type { CordonNodeRequest } from '../../proto/gen/fleet/v1/CordonNodeRequest.js';
import type { CreateJoinTokenRequest } from '../../proto/gen/fleet/v1/CreateJoinTokenRequest.js';
import type { CreateJoinTokenResponse__Output } from '../../proto/gen/fleet/v1/CreateJoinTokenResponse.js';
import type { DrainNodeRequest } from '../../proto/gen/fleet/v1/DrainNodeRequest.js';
import type { RestartNodeRequest } from '../../proto/gen/fleet/v1/RestartNodeRequest.js';
import type { FleetServiceClient } from '../../proto/gen/fleet/v1/FleetService.js';
import type { GetTaskLogsRequest } from '../../proto/gen/fleet/v1/GetTaskLogsRequest.js';
import type { GetTaskRequest } from '../../proto/gen/fleet/v1/GetTaskRequest.js';
import type { GetTaskResultRequest } from '../../proto/gen/fleet/v1/GetTaskResultRequest.js';
import type { GetTaskResultResponse__Output } from '../../proto/gen/fleet/v1/GetTaskResultResponse.js';
import type { JoinToken__Output } from '../../proto/gen/fleet/v1/JoinToken.js';
import type { JoinTokenRef } from '../../proto/gen/fleet/v1/JoinTokenRef.js';
import type { ListJoinTokensResponse__Output } from '../../proto/gen/fleet/v1/ListJoinTokensResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/fleet/v1/ListNodesResponse.js';
import type { ListProvidersResponse__Output } from '../../proto/gen/fleet/v1/ListProvidersResponse.js';
import type { ListTasksResponse__Output } from '../../proto/gen/fleet/v1/ListTasksResponse.js';
import type { LogChunk__Output } from '../../proto/gen/fleet/v1/LogChunk.js';
import type { Node__Output } from '../../proto/gen/fleet/v1/Node.js';
import type { NodeRef } from '../../proto/gen/fleet/v1/NodeRef.js';
import type { Provider__Output } from '../../proto/gen/fleet/v1/Provider.js';
import type { ProviderRef } from '../../proto/gen/fleet/v1/ProviderRef.js';
import type { SetProviderRequest } from '../../proto/gen/fleet/v1/SetProviderRequest.js';
import type { DeliverTaskRequest } from '../../proto/gen/fleet/v1/DeliverTaskRequest.js';
import type { Forge__Output } from '../../proto/gen/fleet/v1/Forge.js';
import type { ForgeRef } from '../../proto/gen/fleet/v1/ForgeRef.js';
import type { ListForgesResponse__Output } from '../../proto/gen/fleet/v1/ListForgesResponse.js';
import type { SetForgeRequest } from '../../proto/gen/fleet/v1/SetForgeRequest.js';
import type { Team__Output } from '../../proto/gen/fleet/v1/Team.js';
import type { TeamRef } from '../../proto/gen/fleet/v1/TeamRef.js';
import type { ListTeamsResponse__Output } from '../../proto/gen/fleet/v1/ListTeamsResponse.js';
import type { SetTeamRequest } from '../../proto/gen/fleet/v1/SetTeamRequest.js';
import type { GetRolloutResponse__Output } from '../../proto/gen/fleet/v1/GetRolloutResponse.js';
import type { ListRolloutsResponse__Output } from '../../proto/gen/fleet/v1/ListRolloutsResponse.js';
import type { Rollout__Output } from '../../proto/gen/fleet/v1/Rollout.js';
import type { StartRolloutRequest } from '../../proto/gen/fleet/v1/StartRolloutRequest.js';
import type { RolloutAction } from '../../common/rollout.js';
import { required } from '../../common/wire/fields.js';
import { decodeRollout } from '../../common/wire/rollout.js';
import type { AutoscalePool__Output } from '../../proto/gen/fleet/v1/AutoscalePool.js';
import type { AutoscalePoolRef } from '../../proto/gen/fleet/v1/AutoscalePoolRef.js';
import type { ListAutoscalePoolsRequest } from '../../proto/gen/fleet/v1/ListAutoscalePoolsRequest.js';
import type { ListAutoscalePoolsResponse__Output } from '../../proto/gen/fleet/v1/ListAutoscalePoolsResponse.js';
import type { SetAutoscalePoolRequest } from '../../proto/gen/fleet/v1/SetAutoscalePoolRequest.js';
import type { SubmitTaskRequest } from '../../proto/gen/fleet/v1/SubmitTaskRequest.js';
import type { Task__Output } from '../../proto/gen/fleet/v1/Task.js';

export const CALL_DEADLINE_MS = 30_000;
/** Rounds over every server before giving up, and the jittered pause between them. */
const FAILOVER_ROUNDS = 3;
const FAILOVER_BACKOFF = { initialMs: 1_000, maxMs: 4_000, multiplier: 2 };
/**
 * How long a stream (a watch, `logs -f`) that lost its replica keeps trying
 * to resume before fleetctl gives up: a replica's restart takes seconds; a
 * rolling upgrade of every replica, one at a time, each a few.
 */
export const RESUME_WITHIN_MS = 5 * 60_000;
const RESUME_BACKOFF = { initialMs: 250, maxMs: 2_000, multiplier: 2 };
/** A stream that stayed up this long before it broke counts as connected: its loss is a new outage. */
const STABLE_STREAM_MS = 10_000;
/** grpc-js reconnects a channel with its own backoff (up to 120 s by default): kept short, so that a replica back on its address is found within seconds. */
const RECONNECT_OPTIONS = { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2_000 };

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/**
 * What went wrong in the TLS handshake, in words an operator can act on;
 * null when the failure was not TLS. The token is never sent before the
 * handshake succeeds, so each says so.
 */
export function tlsProblem(details: string, servers: string[]): string | null {
  const where = servers.join(', ');
  if (/certificate has expired|CERT_HAS_EXPIRED/i.test(details)) {
    return `the control plane at ${where} presented an expired certificate; nothing was sent. Check the replica's clock and restart it (it renews its own certificate), or renew the certificate you gave it with --tls-cert`;
  }
  if (/self[- ]signed|unable to (get local issuer|verify the first)|unknown ca|signature failure|certificate chain/i.test(details)) {
    return `the control plane at ${where} presented a certificate from a CA fleetctl does not trust; nothing was sent. Pass --ca-file (or set FLEET_CA_FILE) to the fleet CA (the control plane writes it to DATA_DIR/tls/ca.crt), or check --server`;
  }
  if (/altname|does not match|Hostname\/IP/i.test(details)) {
    return `the certificate of the control plane at ${where} does not name that address; nothing was sent. Use the address it was issued for, or reissue it`;
  }
  if (/wrong version number|packet length too long|http\/1\.1|unexpected eof|EPROTO|before secure TLS connection/i.test(details)) {
    return `the server at ${where} did not complete a TLS handshake (a plaintext server, or not a control plane); nothing was sent. Check --server`;
  }
  return null;
}

/** One line an operator can act on, from a gRPC error. */
export function explain(err: unknown, servers: string[]): CliError {
  const e = err as grpc.ServiceError;
  const tlsIssue = e?.code === grpc.status.UNAVAILABLE ? tlsProblem(e.details ?? '', servers) : null;
  if (tlsIssue) return new CliError(tlsIssue);
  switch (e?.code) {
    case grpc.status.UNAVAILABLE:
      return new CliError(`cannot reach the control plane at ${servers.join(', ')}: ${e.details} (is it running? check --server or FLEET_SERVER)`);
    case grpc.status.UNAUTHENTICATED:
      return new CliError(`${e.details}`);
    case grpc.status.INVALID_ARGUMENT:
      return new CliError(`invalid request: ${e.details}`, 2);
    case grpc.status.NOT_FOUND:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.RESOURCE_EXHAUSTED:
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.ABORTED:
      return new CliError(e.details);
    case grpc.status.DEADLINE_EXCEEDED:
      return new CliError(`the control plane did not answer within ${CALL_DEADLINE_MS / 1000}s; try again`);
    default:
      return new CliError(e?.details || (err as Error)?.message || String(err));
  }
}

/**
 * Whether a stream's error means its replica went away (stopped, restarted,
 * crashed, cut off) rather than refused the call: worth resuming on another
 * replica, or on the same one when it is back. A TLS problem is a setting to
 * fix, and a refusal (NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT...)
 * would only be refused again.
 */
export function replicaWentAway(err: unknown): boolean {
  const e = err as Partial<grpc.ServiceError> | undefined;
  const details = e?.details ?? '';
  switch (e?.code) {
    case grpc.status.UNAVAILABLE:
      return tlsProblem(details, []) === null;
    // fleetctl cancels a stream only once it is done with it: a CANCELLED it hears is the server's (a replica cut its calls as it stopped).
    case grpc.status.CANCELLED:
      return true;
    // What a connection torn down mid-stream looks like from here.
    case grpc.status.INTERNAL:
    case grpc.status.UNKNOWN:
      return /RST_STREAM|Connection dropped|Stream refused|GOAWAY|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/i.test(details);
    default:
      return false;
  }
}

/** Where an item is in a stream of the store: a message's sequence, and the item's place in that message. */
type Position = [seq: number, index: number];
const after = (a: Position, b: Position): boolean => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** Told when a resumable stream loses its replica and when it is back (fleetctl says it on stderr). */
export type StreamNotice = (line: string) => void;

/** A reply the control plane should never send (another version?) is an error that says so, not a crash further on. */
function answer<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ValidationError) throw new CliError(`the control plane sent a reply this fleetctl cannot read (${err.message}); are both the same version?`);
    throw err;
  }
}

const task = (t: Task__Output): Task => answer(() => decodeTask(t));
const node = (n: Node__Output): NodeSummary => answer(() => decodeNode(n));
const result = (r: GetTaskResultResponse__Output): { result: TaskResult | null; patch: Uint8Array } =>
  answer(() => ({
    result: r.result ? decodeResult('result', r.result, str('result.attempt_id', r.result.attemptId, 128), count('result.patch_bytes', r.result.patchBytes)) : null,
    patch: bytes('patch', r.patch, Number.MAX_SAFE_INTEGER),
  }));

type UnaryFn = (req: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => grpc.ClientUnaryCall;
type StreamFn = (req: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>;

export class FleetClient {
  private readonly clients: FleetServiceClient[];
  private readonly metadata = new grpc.Metadata();

  constructor(
    readonly servers: string[],
    token: string,
    /** The fleet CA (PEM) to verify the control plane against; null: the system's roots. */
    caPem: string | null,
  ) {
    const { fleet } = loadProtos();
    // The token goes only to a server that proved itself: gRPC sends metadata after the handshake.
    // The fleet's own server name is accepted only from a pinned fleet CA; under the system's roots, the usual hostname check.
    const credentials = grpc.credentials.createSsl(caPem ? Buffer.from(caPem) : null, null, null, { checkServerIdentity: caPem ? serverNameCheck(tls.checkServerIdentity) : tls.checkServerIdentity });
    this.clients = servers.map((s) => new fleet.fleet.v1.FleetService(s, credentials, { ...(caPem ? channelOptions(s) : CHANNEL_OPTIONS), ...RECONNECT_OPTIONS }));
    this.metadata.set('authorization', `Bearer ${token}`);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  submitTask = (req: SubmitTaskRequest) => this.unary('SubmitTask', req, task);
  getTask = (req: GetTaskRequest) => this.unary('GetTask', req, task);
  /** A page of tasks, newest first; `next` ("" on the last page) asks for the following one. */
  listTasks = (req: { states: TaskState[]; limit: number; pageToken?: string; team?: string }) =>
    this.unary('ListTasks', { states: req.states.map(encodeTaskState), limit: req.limit, pageToken: req.pageToken ?? '', team: req.team ?? '' }, (res: ListTasksResponse__Output) =>
      answer(() => ({ tasks: res.tasks.map(decodeTask), next: res.nextPageToken })),
    );
  cancelTask = (req: CancelTaskRequest) => this.unary('CancelTask', req, task);
  listNodes = () => this.unary('ListNodes', {}, (res: ListNodesResponse__Output) => answer(() => res.nodes.map(decodeNode)));
  createJoinToken = (req: CreateJoinTokenRequest) => this.unary('CreateJoinToken', req, (res: CreateJoinTokenResponse__Output) => res);
  listJoinTokens = () => this.unary('ListJoinTokens', {}, (res: ListJoinTokensResponse__Output) => res.tokens);
  revokeJoinToken = (req: JoinTokenRef) => this.unary('RevokeJoinToken', req, (res: JoinToken__Output) => res);
  revokeNode = (req: NodeRef) => this.unary('RevokeNode', req, node);
  cordonNode = (req: CordonNodeRequest) => this.unary('CordonNode', req, node);
  uncordonNode = (req: CordonNodeRequest) => this.unary('UncordonNode', req, node);
  drainNode = (req: DrainNodeRequest) => this.unary('DrainNode', req, node);
  restartNode = (req: RestartNodeRequest) => this.unary('RestartNode', req, node);
  /** The node now, then each change while a drain or restart is under way; resumes when its replica goes away. */
  watchNode = (req: NodeRef, notice: StreamNotice) => this.resumable('WatchNode', () => req, node, notice);
  clusterStatus = () => this.unary('GetClusterStatus', {}, (res: ClusterStatus__Output) => res);
  taskResult = (req: GetTaskResultRequest) => this.unary('GetTaskResult', req, result);
  updateNode = (req: UpdateNodeRequest) => this.unary('UpdateNode', req, node);
  createAccessToken = (req: CreateAccessTokenRequest) => this.unary('CreateAccessToken', req, (res: CreateAccessTokenResponse__Output) => res);
  listAccessTokens = () => this.unary('ListAccessTokens', {}, (res: ListAccessTokensResponse__Output) => res.tokens);
  revokeAccessToken = (req: AccessTokenRef) => this.unary('RevokeAccessToken', req, (res: AccessToken__Output) => res);
  rotateAccessToken = (req: AccessTokenRef) => this.unary('RotateAccessToken', req, (res: CreateAccessTokenResponse__Output) => res);
  whoAmI = () => this.unary('WhoAmI', {}, (res: AccessToken__Output) => res);
  /**
   * Every stored record, then checkpoints (and, following, every change).
   * Resumes when its replica goes away, for as long as it takes (a follower
   * is a daemon), with the request `request()` makes then; `signal` ends it
   * at once. Decoded by actions/backup.ts.
   */
  backup(request: () => CreateBackupRequest, notice: StreamNotice, signal?: AbortSignal): AsyncIterable<BackupMessage__Output> {
    return this.resumable('CreateBackup', request, (m: BackupMessage__Output) => m, notice, Number.POSITIVE_INFINITY, signal);
  }

  /** Sends the restore options, then the file in parts; yields the control plane's progress. */
  restoreBackup(options: RestoreOptions, parts: Iterable<Uint8Array>, server: number): AsyncIterable<RestoreProgress__Output> {
    const client = this.clients[server % this.clients.length]!;
    const call = (client as unknown as Record<string, (m: grpc.Metadata) => grpc.ClientDuplexStream<RestoreBackupRequest, RestoreProgress__Output>>).RestoreBackup!.call(client, this.metadata);
    const servers = this.servers;
    return {
      async *[Symbol.asyncIterator]() {
        const sending = (async () => {
          const send = (m: RestoreBackupRequest) => new Promise<void>((resolve) => (call.write(m) ? resolve() : call.once('drain', resolve)));
          await send({ options });
          for (const data of parts) await send({ data });
          call.end();
        })();
        sending.catch(() => {});
        try {
          for await (const item of call as AsyncIterable<RestoreProgress__Output>) yield item;
        } catch (err) {
          throw explain(err, servers);
        } finally {
          call.cancel();
        }
      },
    };
  }
  startRollout = (req: StartRolloutRequest) => this.unary('StartRollout', req, (res: Rollout__Output) => decodeRollout('rollout', res));
  getRollout = () => this.unary('GetRollout', {}, (res: GetRolloutResponse__Output) => ({ rollout: decodeRollout('rollout', required('rollout', res.rollout)), fleetImage: res.fleetImage }));
  listRollouts = (limit: number) => this.unary('ListRollouts', { limit }, (res: ListRolloutsResponse__Output) => res.rollouts.map((r, i) => decodeRollout(`rollouts[${i}]`, r)));
  changeRollout = (action: RolloutAction, reason: string) => this.unary('ChangeRollout', { action, reason }, (res: Rollout__Output) => decodeRollout('rollout', res));
  setProvider = (req: SetProviderRequest) => this.unary('SetProvider', req, (res: Provider__Output) => res);
  listProviders = () => this.unary('ListProviders', {}, (res: ListProvidersResponse__Output) => res);
  deleteProvider = (req: ProviderRef) => this.unary('DeleteProvider', req, (res: Provider__Output) => res);
  setForge = (req: SetForgeRequest) => this.unary('SetForge', req, (res: Forge__Output) => res);
  listForges = () => this.unary('ListForges', {}, (res: ListForgesResponse__Output) => res);
  deleteForge = (req: ForgeRef) => this.unary('DeleteForge', req, (res: Forge__Output) => res);
  setTeam = (req: SetTeamRequest) => this.unary('SetTeam', req, (res: Team__Output) => res);
  listTeams = () => this.unary('ListTeams', {}, (res: ListTeamsResponse__Output) => res);
  getTeam = (req: TeamRef) => this.unary('GetTeam', req, (res: Team__Output) => res);
  deliverTask = (req: DeliverTaskRequest) => this.unary('DeliverTask', req, task);
  setAutoscalePool = (req: SetAutoscalePoolRequest) => this.unary('SetAutoscalePool', req, (res: AutoscalePool__Output) => res);
  listAutoscalePools = (req: ListAutoscalePoolsRequest) => this.unary('ListAutoscalePools', req, (res: ListAutoscalePoolsResponse__Output) => res);
  deleteAutoscalePool = (req: AutoscalePoolRef) => this.unary('DeleteAutoscalePool', req, (res: AutoscalePool__Output) => res);
  /** The task now, then each change until it has ended; resumes when its replica goes away. */
  watchTask = (req: GetTaskRequest, notice: StreamNotice) => this.resumable('WatchTask', () => req, task, notice);

  /**
   * The task's log chunks in order. A stream cut off by its replica resumes
   * after the last chunk received (`after_seq`), so none is lost or repeated.
   */
  taskLogs(req: { taskId: string; follow: boolean }, notice: StreamNotice): AsyncIterable<LogChunk> {
    return this.positioned(
      'GetTaskLogs',
      (after): GetTaskLogsRequest => ({ ...req, afterSeq: after?.[0] ?? 0 }),
      (c: LogChunk__Output): LogChunk & { position: Position | null } => {
        const { seq, ...chunk } = answer(() => decodeLogChunk(c));
        return { ...chunk, position: seq > 0 ? [seq, 0] : null };
      },
      notice,
    );
  }

  /** Audit entries; with `follow`, a stream cut off by its replica resumes after the last entry received. */
  audit(req: ListAuditRequest, notice: StreamNotice): AsyncIterable<AuditEntry__Output> {
    return this.positioned(
      'ListAudit',
      (after): ListAuditRequest => ({ ...req, afterSeq: after?.[0] ?? 0, afterIndex: after?.[1] ?? 0 }),
      (e: AuditEntry__Output) => ({ ...e, position: e.seq > 0 ? ([Number(e.seq), e.index] as Position) : null }),
      notice,
    );
  }

  /**
   * Tries each server in turn while the answer is UNAVAILABLE; when every one
   * was, tries them all again after a jittered backoff (a failover takes a few
   * seconds). Safe for writes: submissions carry an idempotency key.
   */
  private async unary<Msg, Res>(method: string, request: unknown, decode: (msg: Msg) => Res): Promise<Res> {
    return decode(await this.call<Msg>(method, request));
  }

  private async call<Res>(method: string, request: unknown): Promise<Res> {
    let last: unknown;
    const backoff = new Backoff(FAILOVER_BACKOFF);
    for (let round = 0; round < FAILOVER_ROUNDS; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, backoff.next()));
      for (const client of this.clients) {
        const fn = (client as unknown as Record<string, UnaryFn>)[method]!;
        try {
          return await new Promise<Res>((resolve, reject) =>
            fn.call(client, request, this.metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res as Res))),
          );
        } catch (err) {
          last = err;
          if ((err as grpc.ServiceError).code !== grpc.status.UNAVAILABLE) throw explain(err, this.servers);
        }
      }
    }
    throw explain(last, this.servers);
  }

  private nextStream = 0;

  /**
   * A resumable stream of items that carry their position in a stream of
   * the store (the same on every replica): made again after the last item
   * received, so that none is lost or repeated. A control plane older than
   * positions sends everything again from the start: as many items as were
   * received are skipped.
   */
  private positioned<Msg, Item extends { position: Position | null }>(
    method: string,
    request: (after: Position | null) => unknown,
    decode: (msg: Msg) => Item,
    notice: StreamNotice,
  ): AsyncIterable<Omit<Item, 'position'>> {
    let last: Position | null = null;
    let received = 0;
    let inStream = 0;
    const items = this.resumable(
      method,
      () => {
        inStream = 0;
        return request(last);
      },
      decode,
      notice,
    );
    return {
      async *[Symbol.asyncIterator]() {
        for await (const { position, ...item } of items) {
          inStream++;
          const fresh = position && last ? after(position, last) : inStream > received;
          if (!fresh) continue;
          received++;
          if (position) last = position;
          yield item;
        }
      },
    };
  }

  /**
   * A server stream that outlives its replica. When the replica goes away
   * (`replicaWentAway`), the call is made again on the next server of the
   * list, or the same one when it is back, with the request `request()`
   * makes then (the caller's cursor), with backoff for up to
   * RESUME_WITHIN_MS; `notice` hears once that the control plane was lost,
   * and when it is back. A refusal ends the stream as any error does;
   * `signal` ends it at once, quietly.
   */
  private resumable<Msg, Res>(method: string, request: () => unknown, decode: (msg: Msg) => Res, notice: StreamNotice, withinMs = RESUME_WITHIN_MS, signal?: AbortSignal): AsyncIterable<Res> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const backoff = new Backoff(RESUME_BACKOFF);
        /** When the current outage began, and what ended the last stream. */
        let lostAtMs: number | null = null;
        let lostFrom = '';
        for (;;) {
          const index = self.nextStream++ % self.clients.length;
          const client = self.clients[index]!;
          const server = self.servers[index]!;
          if (signal?.aborted) return;
          const call = (client as unknown as Record<string, StreamFn>)[method]!.call(client, request(), self.metadata);
          const stop = () => call.cancel();
          signal?.addEventListener('abort', stop, { once: true });
          const openedAtMs = Date.now();
          let heard = false;
          const back = () => {
            if (heard) return;
            heard = true;
            if (lostAtMs === null) return;
            notice(`reconnected to the control plane at ${server} after ${((Date.now() - lostAtMs) / 1000).toFixed(1)}s\n`);
            lostAtMs = null;
            backoff.reset();
          };
          // Headers come before the first message (the control plane sends them at once): connected, even if nothing is new yet.
          call.on('metadata', back);
          try {
            for await (const item of call as AsyncIterable<Msg>) {
              back();
              yield decode(item);
            }
            return;
          } catch (err) {
            if (signal?.aborted) return;
            if (err instanceof CliError || !replicaWentAway(err)) throw err instanceof CliError ? err : explain(err, self.servers);
            const why = (err as grpc.ServiceError).details || (err as Error).message;
            // An older control plane sends no headers first: a stream that stayed up a while was connected all the same.
            if (lostAtMs !== null && Date.now() - openedAtMs > STABLE_STREAM_MS) lostAtMs = null;
            if (lostAtMs === null) {
              lostAtMs = Date.now();
              lostFrom = server;
              backoff.reset();
              notice(`lost the control plane at ${server} (${why}); reconnecting…\n`);
            } else if (Date.now() - lostAtMs > withinMs) {
              throw new CliError(`lost the control plane at ${lostFrom} ${Math.round((Date.now() - lostAtMs) / 1000)}s ago and could not resume on ${self.servers.join(', ')}: ${why} (is it running? check --server or FLEET_SERVER)`);
            }
          } finally {
            signal?.removeEventListener('abort', stop);
            call.cancel();
          }
          await new Promise((r) => setTimeout(r, backoff.next()));
        }
      },
    };
  }
}
