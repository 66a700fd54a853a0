/**
 * A stable, secret-free key for a repository URL: what heartbeats, node
 * records and the node's cache directory names carry instead of the URL
 * (a URL can hold a token in its userinfo, and must never leave the node
 * that was given it, nor reach a log).
 *
 * Two spellings of one repository get one key: the scheme and host are
 * lowercased, userinfo (credentials) is dropped, a trailing "/" or ".git"
 * is dropped. The path keeps its case (hosts differ on whether it matters).
 * The key is the first 24 hex digits of the SHA-256 of that normal form:
 * 96 bits, no collision among any fleet's repositories.
 */
import { createHash } from 'node:crypto';

export const REPO_KEY_HEX_CHARS = 24;
/** What a repository key looks like on the wire (validated where it is decoded). */
export const REPO_KEY_PATTERN = /^[0-9a-f]{24}$/;

/** scp-like syntax: `user@host:path` (no scheme). */
const SCP_LIKE = /^(?:[^@/\s]+@)?([A-Za-z0-9.-]+):(.*)$/;

function trimPath(path: string): string {
  let p = path;
  for (;;) {
    const before = p;
    p = p.replace(/\/+$/, '');
    p = p.replace(/\.git$/i, '');
    if (p === before) return p;
  }
}

/**
 * The normal form a key is made from: `scheme://host[:port]/path` without
 * credentials, or `host:path` for scp-like URLs. Exported for tests.
 */
export function normalizeRepoUrl(url: string): string {
  const raw = url.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw);
  if (scheme) {
    try {
      const u = new URL(raw);
      // URL lowercases the scheme and host; userinfo is dropped by rebuilding without it.
      const port = u.port ? `:${u.port}` : '';
      return `${u.protocol}//${u.hostname}${port}${trimPath(decodeURIComponentSafe(u.pathname))}`;
    } catch {
      // Not parseable by WHATWG URL (e.g. an unusual ssh form): strip the userinfo by hand.
      const rest = raw.slice(scheme[0].length);
      const slash = rest.indexOf('/');
      const authority = slash < 0 ? rest : rest.slice(0, slash);
      const path = slash < 0 ? '' : rest.slice(slash);
      const host = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
      return `${scheme[1]!.toLowerCase()}://${host}${trimPath(path)}`;
    }
  }
  const scp = SCP_LIKE.exec(raw);
  if (scp) return `${scp[1]!.toLowerCase()}:${trimPath(scp[2]!)}`;
  return trimPath(raw);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The key of a repository URL: 24 lowercase hex digits. */
export function repoKey(url: string): string {
  return createHash('sha256').update(normalizeRepoUrl(url)).digest('hex').slice(0, REPO_KEY_HEX_CHARS);
}

/**
 * A message with the credentials of every URL in it masked: a repository URL
 * may carry a token (`https://user:token@host/…`), and what git says often
 * repeats it. For errors and logs, which leave the node.
 */
export function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}
