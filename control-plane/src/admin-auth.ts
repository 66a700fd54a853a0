/**
 * The admin bearer token: from FLEET_ADMIN_TOKEN, or made on first start and
 * kept in DATA_DIR/admin.token (mode 0600) so that the operator on the
 * machine can read it and nobody else can.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { AuthError } from '../../common/errors.js';
import { newSecret } from '../../common/ids.js';
import { bearerToken } from './credentials.js';

const MIN_ADMIN_TOKEN_CHARS = 16;

export class Admin {
  private readonly digest: Buffer;

  constructor(token: string) {
    if (token.length < MIN_ADMIN_TOKEN_CHARS) throw new Error(`the admin token must be at least ${MIN_ADMIN_TOKEN_CHARS} characters`);
    this.digest = createHash('sha256').update(token).digest();
  }

  check(metadata: grpc.Metadata): void {
    const token = bearerToken(metadata.get('authorization')[0]);
    const given = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(given, this.digest)) throw new AuthError('admin token is not valid: check --token or FLEET_TOKEN');
  }
}

export function loadOrCreateAdminToken(path: string, fromEnv: string | undefined): { token: string; source: 'env' | 'file' | 'created' } {
  if (fromEnv) return { token: fromEnv.trim(), source: 'env' };
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: 'file' };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = `fleet_admin_${newSecret()}`;
  writeFileSync(path, token + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { token, source: 'created' };
}
