/**
 * Encryption of provider API keys at rest (AES-256-GCM). The key comes from
 * FLEET_SECRETS_KEY (64 hex characters; every replica of a cluster needs the
 * same one) or is made on first start in DATA_DIR/secrets.key (mode 0600) for
 * the one-machine default. JetStream holds only ciphertext, so a stolen NATS
 * backup does not give away the keys.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FleetError } from '../../common/errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const FORMAT = 'v1';

export class SecretKeyError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new SecretKeyError(`the secrets key must be ${KEY_BYTES} bytes (64 hex characters), got ${key.length}`);
    this.key = key;
  }

  /** `context` (e.g. the provider's name) is authenticated: a ciphertext moved to another record does not decrypt. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** `label` names the secret in errors (the context may be long). */
  open(sealed: string, context: string, label = context): string {
    const [format, iv, tag, body] = sealed.split(':');
    if (format !== FORMAT || !iv || !tag || body === undefined) throw new SecretKeyError('a stored secret is not in a known format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SecretKeyError(
        `cannot decrypt the stored key of "${label}": this replica's secrets key differs from the one that stored it (give every replica the same FLEET_SECRETS_KEY), or the record was changed outside the API (set it again)`,
        { cause: err },
      );
    }
  }
}

export function loadOrCreateSecretsKey(path: string, fromEnv: string | undefined): { key: Buffer; source: 'env' | 'file' | 'created' } {
  const parse = (text: string, where: string) => {
    const hex = text.trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new SecretKeyError(`${where} must hold 64 hex characters (make one with: openssl rand -hex 32)`);
    return Buffer.from(hex, 'hex');
  };
  if (fromEnv) return { key: parse(fromEnv, 'FLEET_SECRETS_KEY'), source: 'env' };
  if (existsSync(path)) return { key: parse(readFileSync(path, 'utf8'), path), source: 'file' };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, source: 'created' };
}
