/**
 * Patches of Cline results in the JetStream object store, one object per
 * attempt. A patch is written before the task record that points at it, so
 * a stored result never refers to a missing patch; a result refused after
 * its patch was written leaves an object that `remove` takes back.
 */
import type { ObjectStore } from '@nats-io/obj';
import { storeError } from './kv-records.js';

export class ResultStore {
  constructor(private readonly store: ObjectStore) {}

  private name(taskId: string, attemptId: string): string {
    return `${taskId}/${attemptId}.patch`;
  }

  async putPatch(taskId: string, attemptId: string, patch: Uint8Array): Promise<void> {
    try {
      await this.store.putBlob({ name: this.name(taskId, attemptId), description: `patch of ${taskId} attempt ${attemptId}` }, patch);
    } catch (err) {
      throw storeError(err, `storing the patch of ${taskId}`);
    }
  }

  /** null when no patch was stored for the attempt. */
  async getPatch(taskId: string, attemptId: string): Promise<Buffer | null> {
    try {
      const data = await this.store.getBlob(this.name(taskId, attemptId));
      return data ? Buffer.from(data) : null;
    } catch (err) {
      throw storeError(err, `reading the patch of ${taskId}`);
    }
  }

  async remove(taskId: string, attemptId: string): Promise<void> {
    await this.store.delete(this.name(taskId, attemptId)).catch(() => {});
  }
}
