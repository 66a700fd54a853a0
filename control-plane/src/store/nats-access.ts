/**
 * How the control plane proves itself to NATS and verifies NATS: an nkey
 * seed or a .creds file, or a user and password (from a file), and TLS with
 * a CA and optionally a client certificate. Secrets come from files (mode
 * 0600), never from argv or a URL.
 */
import { readPrivateFile } from '../private-file.js';
import { credsAuthenticator, nkeyAuthenticator, usernamePasswordAuthenticator, type Authenticator, type ConnectionOptions } from '@nats-io/nats-core';

export interface NatsAccess {
  /** An nkey user seed (`SU…`) or a NATS .creds file (JWT and seed). */
  credsFile?: string;
  user?: string;
  /** The password of `user`, read from this file. */
  passwordFile?: string;
  /** TLS: the CA that signed the servers' certificates (turns TLS on). */
  caFile?: string;
  /** TLS client certificate and key, where the servers ask for one. */
  certFile?: string;
  keyFile?: string;
}

export class NatsAccessError extends Error {}

function secretFile(path: string, flag: string): string {
  try {
    return readPrivateFile(path, flag).trim();
  } catch (err) {
    throw new NatsAccessError((err as Error).message);
  }
}

/** Server URLs, checked: credentials belong in files, never in a URL (it is logged and shown in errors). */
export function checkNatsUrls(urls: string[]): string[] {
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u.includes('://') ? u : `nats://${u}`);
    } catch {
      throw new NatsAccessError(`--nats: "${u.slice(0, 80)}" is not a URL (nats://host:4222)`);
    }
    if (parsed.username || parsed.password) throw new NatsAccessError('--nats: URLs must not carry credentials: use --nats-creds, or --nats-user with --nats-password-file');
  }
  return urls;
}

/** A password sent in clear to another machine is a password given away. */
export function checkPasswordTransport(access: NatsAccess, urls: string[]): void {
  if (!access.user || access.caFile) return;
  const remote = urls.filter((u) => !/^(nats:\/\/)?(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(u));
  if (remote.length > 0) throw new NatsAccessError(`--nats-user: the password would cross the network in clear to ${remote[0]}: give --nats-ca (TLS), or use --nats-creds (an nkey proves itself without sending a secret)`);
}

/** The connection options for `access`; NatsAccessError names the flag that is wrong. */
export function natsConnectionOptions(access: NatsAccess): Pick<ConnectionOptions, 'authenticator' | 'tls'> {
  const options: Pick<ConnectionOptions, 'authenticator' | 'tls'> = {};
  const authenticators: Authenticator[] = [];
  if (access.credsFile) {
    const text = secretFile(access.credsFile, '--nats-creds');
    if (/^SU[A-Z2-7]{56}$/.test(text)) authenticators.push(nkeyAuthenticator(new TextEncoder().encode(text)));
    else if (text.includes('-----BEGIN NATS USER JWT-----')) authenticators.push(credsAuthenticator(new TextEncoder().encode(text)));
    else throw new NatsAccessError(`--nats-creds: ${access.credsFile} holds neither an nkey user seed (SU…) nor a NATS .creds file`);
  }
  if (access.user || access.passwordFile) {
    if (!access.user || !access.passwordFile) throw new NatsAccessError('--nats-user and --nats-password-file go together');
    authenticators.push(usernamePasswordAuthenticator(access.user, secretFile(access.passwordFile, '--nats-password-file')));
  }
  if (authenticators.length > 1) throw new NatsAccessError('give either --nats-creds or --nats-user, not both');
  if (authenticators[0]) options.authenticator = authenticators[0];
  if (access.certFile || access.keyFile) {
    if (!access.certFile || !access.keyFile) throw new NatsAccessError('--nats-cert and --nats-key go together');
    if (!access.caFile) throw new NatsAccessError('--nats-cert needs --nats-ca (the CA of the servers)');
  }
  if (access.keyFile) secretFile(access.keyFile, '--nats-key');
  if (access.caFile) {
    options.tls = { caFile: access.caFile, ...(access.certFile ? { certFile: access.certFile, keyFile: access.keyFile } : {}) };
  }
  return options;
}
