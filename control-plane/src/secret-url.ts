/**
 * Where the control plane lets an operator send a secret (a provider's API
 * key, a forge's token): an http(s) URL with no credentials, query or
 * fragment, and in clear (http://) only to this machine's loopback or where
 * an operator said so (--insecure-http). One rule for every secret.
 */
import { ValidationError } from '../../common/errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** A host on this machine: plain http:// to it crosses no network. */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

export interface SecretUrlRule {
  /** What travels there, for messages: "key", "token". */
  secret: string;
  /** The flag that gives it instead of the URL's user info. */
  secretFlag: string;
  /** What the URL is, for messages: "base URL", "URL". */
  what: string;
  example: string;
  maxChars: number;
  insecureHttp: boolean;
}

/** The URL, or a ValidationError naming `field` and what is wrong. */
export function secretUrl(field: string, text: string, rule: SecretUrlRule): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(field, `"${text.slice(0, 80)}" is not a URL (e.g. ${rule.example})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError(field, 'must be an http:// or https:// URL');
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !rule.insecureHttp) {
    throw new ValidationError(field, `must be https:// (plain http:// only to a loopback host, or with --insecure-http, which sends the ${rule.secret} in clear)`);
  }
  if (url.username || url.password) throw new ValidationError(field, `must not carry credentials: give the ${rule.secret} with ${rule.secretFlag}`);
  if (url.search || url.hash || text.length > rule.maxChars) throw new ValidationError(field, `must be a plain ${rule.what} without query or fragment`);
  return url;
}

/** --insecure-http is recorded only where it means something: plain http:// to a host that is not loopback. */
export function sendsInClear(urls: URL[]): boolean {
  return urls.some((u) => u.protocol === 'http:' && !isLoopback(u.hostname));
}
