/** Log chunks on the wire: GetTaskLogs streams them to fleetctl. */
import type { LogChunk as LogChunkMsg, LogChunk__Output } from '../../proto/gen/fleet/v1/LogChunk.js';
import type { StoredLogChunk } from '../model.js';
import { decodeLogStream, encodeLogStream } from './enums.js';
import { bytes, count, str } from './fields.js';
import { MAX_OUTPUT_CHUNK_BYTES } from './session.js';

export function encodeLogChunk(c: StoredLogChunk): LogChunkMsg {
  return { taskId: c.taskId, attemptId: c.attemptId, stream: encodeLogStream(c.stream), data: Buffer.from(c.data), atMs: c.atMs, seq: c.seq };
}

export function decodeLogChunk(c: LogChunk__Output): StoredLogChunk {
  return {
    taskId: str('task_id', c.taskId, 128),
    attemptId: str('attempt_id', c.attemptId, 128),
    stream: decodeLogStream('stream', c.stream),
    data: bytes('data', c.data, MAX_OUTPUT_CHUNK_BYTES),
    atMs: count('at_ms', c.atMs),
    seq: count('seq', c.seq),
  };
}
