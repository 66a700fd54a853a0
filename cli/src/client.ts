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
import type { SubmitTaskRequest } from '../../proto/gen/fleet/v1/SubmitTaskRequest.js';
import type { Task__Output } from '../../proto/gen/fleet/v1/Task.js';

export const CALL_DEADLINE_MS = 30_000;
/** Rounds over every server before giving up, and the jittered pause between them. */
const FAILOVER_ROUNDS = 3;
const FAILOVER_BACKOFF = { initialMs: 1_000, maxMs: 4_000, multiplier: 2 };

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
    this.clients = servers.map((s) => new fleet.fleet.v1.FleetService(s, credentials, caPem ? channelOptions(s) : CHANNEL_OPTIONS));
    this.metadata.set('authorization', `Bearer ${token}`);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  submitTask = (req: SubmitTaskRequest) => this.unary('SubmitTask', req, task);
  getTask = (req: GetTaskRequest) => this.unary('GetTask', req, task);
  /** A page of tasks, newest first; `next` ("" on the last page) asks for the following one. */
  listTasks = (req: { states: TaskState[]; limit: number; pageToken?: string }) =>
    this.unary('ListTasks', { states: req.states.map(encodeTaskState), limit: req.limit, pageToken: req.pageToken ?? '' }, (res: ListTasksResponse__Output) =>
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
  watchNode = (req: NodeRef) => this.stream('WatchNode', req, node);
  clusterStatus = () => this.unary('GetClusterStatus', {}, (res: ClusterStatus__Output) => res);
  taskResult = (req: GetTaskResultRequest) => this.unary('GetTaskResult', req, result);
  updateNode = (req: UpdateNodeRequest) => this.unary('UpdateNode', req, node);
  createAccessToken = (req: CreateAccessTokenRequest) => this.unary('CreateAccessToken', req, (res: CreateAccessTokenResponse__Output) => res);
  listAccessTokens = () => this.unary('ListAccessTokens', {}, (res: ListAccessTokensResponse__Output) => res.tokens);
  revokeAccessToken = (req: AccessTokenRef) => this.unary('RevokeAccessToken', req, (res: AccessToken__Output) => res);
  rotateAccessToken = (req: AccessTokenRef) => this.unary('RotateAccessToken', req, (res: CreateAccessTokenResponse__Output) => res);
  whoAmI = () => this.unary('WhoAmI', {}, (res: AccessToken__Output) => res);
  audit = (req: ListAuditRequest) => this.stream('ListAudit', req, (e: AuditEntry__Output) => e);
  /** Every stored record, then checkpoints (and, following, every change). Decoded by actions/backup.ts. */
  backup(req: CreateBackupRequest): { messages: AsyncIterable<BackupMessage__Output>; cancel: () => void } {
    const client = this.clients[this.nextStream++ % this.clients.length]!;
    const call = (client as unknown as Record<string, StreamFn>).CreateBackup!.call(client, req, this.metadata);
    const servers = this.servers;
    return {
      // A followed backup may wait seconds between messages: stopping it cancels the call at once.
      cancel: () => call.cancel(),
      messages: {
        async *[Symbol.asyncIterator]() {
          try {
            for await (const item of call as AsyncIterable<BackupMessage__Output>) yield item;
          } catch (err) {
            throw explain(err, servers);
          } finally {
            call.cancel();
          }
        },
      },
    };
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
  setProvider = (req: SetProviderRequest) => this.unary('SetProvider', req, (res: Provider__Output) => res);
  listProviders = () => this.unary('ListProviders', {}, (res: ListProvidersResponse__Output) => res);
  deleteProvider = (req: ProviderRef) => this.unary('DeleteProvider', req, (res: Provider__Output) => res);
  watchTask = (req: GetTaskRequest) => this.stream('WatchTask', req, task);
  taskLogs = (req: GetTaskLogsRequest) => this.stream('GetTaskLogs', req, (c: LogChunk__Output): LogChunk => answer(() => decodeLogChunk(c)));

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

  /** Server-streaming call; each call goes to the next server, so a caller that retries fails over. */
  private stream<Msg, Res>(method: string, request: unknown, decode: (msg: Msg) => Res): AsyncIterable<Res> {
    const client = this.clients[this.nextStream++ % this.clients.length]!;
    const call = (client as unknown as Record<string, StreamFn>)[method]!.call(client, request, this.metadata);
    const servers = this.servers;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const item of call as AsyncIterable<Msg>) yield decode(item);
        } catch (err) {
          throw explain(err, servers);
        } finally {
          call.cancel();
        }
      },
    };
  }
}
