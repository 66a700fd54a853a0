/**
 * The node's journal key: what seals the secrets the journal must keep (a
 * Cline attempt's provider key and gateway token, needed again to adopt the
 * attempt after a restart), so that the journal, its WAL, a copy or a backup
 * of them never hold one in the clear. 32 random bytes in DATA_DIR/journal.key,
 * made on the first start (0600, written whole before it takes its name) and
 * refused when others may read it.
 *
 * It does not stand against root on the node, who can read the key as the
 * agent does; it stands against everything that reads the journal alone.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The first byte of every sealed record: its format, so that another can follow. */
const FORMAT = 1;

export const journalKeyPath = (journalPath: string) => join(dirname(journalPath), 'journal.key');

/** The key file cannot be used: its message says what to do. */
export class JournalKeyError extends Error {}

/** A sealed record that does not open: another key sealed it, or it was changed. */
export class SealedRecordError extends Error {}

export class JournalKey {
  private constructor(private readonly key: Buffer) {}

  /** The key at `path`, made first if there is none. */
  static loadOrCreate(path: string): JournalKey {
    return new JournalKey(readKey(path) ?? createKey(path));
  }

  /** AES-256-GCM, a random IV per record; `attemptId` is authenticated, so a record copied to another attempt's row does not open. */
  seal(plaintext: string, attemptId: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(attemptId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, attemptId: string): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT) throw new SealedRecordError(`the sealed record of ${attemptId} is not in a known format`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(attemptId));
      decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SealedRecordError(`the sealed record of ${attemptId} does not open with this node's journal key (the key file was replaced, or the journal changed outside the agent)`, { cause: err });
    }
  }
}

/** The key, or null if there is no file. Never through a link; refused if group or others may read or write it. */
function readKey(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new JournalKeyError(`cannot read the journal key ${path}: ${(err as Error).message}`);
  }
  try {
    const found = fstatSync(fd);
    if (!found.isFile()) throw new JournalKeyError(`the journal key ${path} is not a regular file: remove it (a new key is made; the provider keys of attempts running now are then lost, and those attempts fail)`);
    if ((found.mode & 0o077) !== 0) {
      throw new JournalKeyError(`the journal key ${path} is readable by others (mode ${(found.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    const text = readFileSync(fd, 'utf8').trim();
    const key = Buffer.from(text, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64') !== text) {
      throw new JournalKeyError(`the journal key ${path} is damaged (not ${KEY_BYTES} bytes in base64): remove it (a new key is made; the provider keys of attempts running now are then lost, and those attempts fail)`);
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new key to a temporary file (exclusive, 0600 set on the open file
 * whatever the umask, synced), then links it to its name, which fails if
 * another start made one meanwhile: a crash leaves no key or a whole one.
 */
function createKey(path: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  const temporary = `${path}.new`;
  rmSync(temporary, { force: true });
  try {
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeFileSync(fd, `${key.toString('base64')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temporary, path);
    syncDirectory(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      // Another start made it meanwhile: that one is the key.
      const made = readKey(path);
      if (made) return made;
    }
    if (err instanceof JournalKeyError) throw err;
    throw new JournalKeyError(`cannot make the journal key ${path}: ${(err as Error).message}`);
  } finally {
    rmSync(temporary, { force: true });
  }
  return key;
}

/** The new name survives a power cut as the records sealed under it will. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
