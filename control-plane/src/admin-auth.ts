/**
 * The bootstrap admin token: from FLEET_ADMIN_TOKEN, or made on first start
 * and kept in DATA_DIR/admin.token (mode 0600) so that the operator on the
 * machine can read it and nobody else can. The fleet stores it as the access
 * token "bootstrap" on its first start (`access/access-tokens.ts`); from then
 * on the store decides whether it is still accepted.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { newSecret } from '../../common/ids.js';

const MIN_ADMIN_TOKEN_CHARS = 16;

export function loadOrCreateAdminToken(path: string, fromEnv: string | undefined): { token: string; source: 'env' | 'file' | 'created' } {
  if (fromEnv) {
    const token = fromEnv.trim();
    if (token.length < MIN_ADMIN_TOKEN_CHARS) throw new Error(`FLEET_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_CHARS} characters`);
    return { token, source: 'env' };
  }
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: 'file' };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = `fleet_admin_${newSecret()}`;
  writeFileSync(path, token + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { token, source: 'created' };
}
