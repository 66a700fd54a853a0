/**
 * The pull-request APIs of the forges a task's result is delivered to:
 * GitHub (and GitHub Enterprise), GitLab and Gitea, over plain `fetch`.
 *
 * Delivery may run more than once for the same branch (a retry after a
 * crash, two replicas racing), so the one operation here is idempotent:
 * `ensurePullRequest` looks for the request from the branch first, in any
 * state, and only opens one when there is none; a forge that answers
 * "already exists" to the open means another caller won, and its request is
 * looked up and returned. A forge never gets a second request for a branch.
 *
 * Forges are remote services the operator configures, so every answer is
 * treated as untrusted: each request has a deadline, each answer is read up
 * to a bound and checked field by field, and whatever goes wrong becomes a
 * `ForgeError` whose kind says what the caller can do about it (retry later,
 * fix the token, fix the repository URL...). The forge's token never appears
 * in an error, even when a forge echoes it back.
 */

import { FORGE_TYPES, type ForgeType } from '../../../common/model.js';

export { FORGE_TYPES, type ForgeType };

/** apiUrl is the forge's API root: https://api.github.com (or https://ghe.host/api/v3), https://gitlab.example/api/v4, https://gitea.example/api/v1. No trailing slash. */
export interface ForgeAccess {
  type: ForgeType;
  apiUrl: string;
  token: string;
}

export interface PullRequest {
  /** GitHub's and Gitea's pull number; GitLab's merge request iid (the `!N` people see). */
  number: number;
  /** The request's page for people (not its API URL). */
  url: string;
  state: 'open' | 'closed' | 'merged';
  head: string;
  base: string;
  /** The commit the request's head branch was at, when the forge says. */
  headSha?: string;
}

export interface PullRequestAsk {
  /** the repository's path on the forge: "owner/name" (GitLab: "group/sub/name") */
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  /**
   * The commit the head branch holds now. A closed or merged request is
   * ours only if it was on this commit: one left from an earlier use of the
   * branch name is not, and a new request is opened.
   */
  commit?: string;
}

/**
 * unavailable: network error, timeout, 5xx, 429 (worth retrying later);
 * refused: 401/403 (the token); not_found: 404 (no such repository, or the
 * token cannot see it); conflict: the forge refuses the request for the
 * branches (e.g. head branch missing, 409/422 other than "already exists");
 * invalid: any other 4xx or an answer that does not parse.
 */
export type ForgeFailure = 'unavailable' | 'refused' | 'not_found' | 'conflict' | 'invalid';

export class ForgeError extends Error {
  /** `status` is the forge's HTTP status, 0 when there was no answer (or the request was never sent). */
  constructor(
    readonly kind: ForgeFailure,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}

/** Long enough for a busy forge, short enough that a stuck one does not hold a delivery for minutes. */
const DEFAULT_TIMEOUT_MS = 15_000;
/** A page of pull requests is tens of KiB; anything past this is not an answer we asked for. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Page size GitHub and GitLab allow at most; a branch has one or a few requests. */
const PAGE_SIZE = 100;
/** Gitea's default cap on a page (`MAX_RESPONSE_ITEMS`). */
const GITEA_PAGE_SIZE = 50;
/**
 * Gitea's list cannot filter by branch, so its pages are walked; this bounds
 * the walk (1000 requests) so that a forge that never returns an empty page
 * cannot keep a delivery forever.
 */
const GITEA_MAX_PAGES = 20;
/** How much of a forge's own error message goes into ours. */
const MAX_DETAIL_CHARS = 300;
/** One segment of a repository path on any of the three forges. */
const REPO_SEGMENT = /^[A-Za-z0-9_.-]+$/;

const FORGE_NAMES: Record<ForgeType, string> = { github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' };

/**
 * Finds the pull/merge request from head into base in ANY state (open,
 * closed, merged) and returns it with created=false; otherwise creates it.
 * If creation answers "already exists" (a concurrent caller won), finds it
 * again and returns it with created=false. Never creates a second one.
 */
export async function ensurePullRequest(
  access: ForgeAccess,
  ask: PullRequestAsk,
  options: { timeoutMs?: number } = {},
): Promise<{ pr: PullRequest; created: boolean }> {
  const forge = new ForgeClient(access, ask, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const found = await forge.find();
  if (found) return { pr: found, created: false };
  const opened = await forge.create();
  if (opened) return { pr: opened, created: true };
  // "Already exists": another caller opened it between our look and our open.
  const again = await forge.find();
  if (again) return { pr: again, created: false };
  throw forge.error(
    'conflict',
    0,
    `${forge.name} says a request from ${ask.head} into ${ask.base} already exists on ${ask.repo}, but none is listed: look for it on the forge by hand`,
  );
}

/**
 * HTTP Basic credentials a git push over HTTPS uses with this forge's token:
 * github {username:'x-access-token', password: token}; gitlab
 * {username:'oauth2', password: token}; gitea {username: token, password:
 * 'x-oauth-basic'}.
 */
export function gitCredentials(access: ForgeAccess): { username: string; password: string } {
  switch (access.type) {
    case 'github':
      return { username: 'x-access-token', password: access.token };
    case 'gitlab':
      return { username: 'oauth2', password: access.token };
    case 'gitea':
      return { username: access.token, password: 'x-oauth-basic' };
  }
}

/** A forge's answer, read to its bound. `json` is undefined when the body is not JSON. */
interface Answer {
  status: number;
  headers: Headers;
  json: unknown;
}

/** One `ensurePullRequest` call: the forge, the ask, and how to talk to the forge about them. */
class ForgeClient {
  readonly name: string;
  private readonly api: string;
  private readonly segments: string[];

  constructor(
    private readonly access: ForgeAccess,
    private readonly ask: PullRequestAsk,
    private readonly timeoutMs: number,
  ) {
    this.name = FORGE_NAMES[access.type] ?? 'the forge';
    if (!FORGE_TYPES.includes(access.type)) throw this.error('invalid', 0, `unknown forge type "${String(access.type)}" (expected one of ${FORGE_TYPES.join(', ')})`);
    let api: URL;
    try {
      api = new URL(access.apiUrl);
    } catch {
      throw this.error('invalid', 0, `${this.name} API URL "${access.apiUrl}" is not a URL: set the forge's base URL to its API root`);
    }
    if (api.protocol !== 'https:' && api.protocol !== 'http:') throw this.error('invalid', 0, `${this.name} API URL "${access.apiUrl}" is not http(s)`);
    if (api.search || api.hash || api.username || api.password) throw this.error('invalid', 0, `${this.name} API URL must not carry a query, fragment or credentials`);
    this.api = access.apiUrl.replace(/\/+$/, '');
    this.segments = ask.repo.split('/');
    const shapeOk = access.type === 'gitlab' ? this.segments.length >= 2 : this.segments.length === 2;
    if (!shapeOk || !this.segments.every((s) => REPO_SEGMENT.test(s) && s !== '.' && s !== '..')) {
      throw this.error('invalid', 0, `"${ask.repo}" is not a ${this.name} repository path (expected ${access.type === 'gitlab' ? 'group/[subgroup/]name' : 'owner/name'})`);
    }
    // A token a header cannot carry would fail inside fetch, with the token in its message.
    if (typeof access.token !== 'string' || !/^[\x21-\x7e]+$/.test(access.token)) {
      throw this.error('refused', 0, `${this.name}'s token is empty or holds characters an HTTP header cannot carry: set the forge's token again`);
    }
    for (const [field, value] of [['head', ask.head], ['base', ask.base], ['title', ask.title]] as const) {
      if (typeof value !== 'string' || value.trim() === '') throw this.error('invalid', 0, `a pull request on ${ask.repo} needs a ${field}`);
    }
  }

  /** A ForgeError whose message names no token, whatever the forge said. */
  error(kind: ForgeFailure, status: number, message: string): ForgeError {
    return new ForgeError(kind, status, this.mask(message));
  }

  /** The request from head into base, preferring an open one; null when there is none. */
  async find(): Promise<PullRequest | null> {
    const { type } = this.access;
    const { head, base } = this.ask;
    const matches: PullRequest[] = [];
    if (type === 'github') {
      const [owner] = this.segments;
      const query = new URLSearchParams({ state: 'all', head: `${owner}:${head}`, base, per_page: String(PAGE_SIZE) });
      const items = await this.list(`${this.repoPath()}/pulls?${query}`);
      // GitHub ignores a head filter it cannot read; the refs are checked here as well.
      for (const item of items) this.keep(matches, this.parseGithub(item));
    } else if (type === 'gitlab') {
      const query = new URLSearchParams({ state: 'all', source_branch: head, target_branch: base, per_page: String(PAGE_SIZE) });
      const items = await this.list(`${this.repoPath()}/merge_requests?${query}`);
      for (const item of items) {
        // A request from a fork's branch of the same name is someone else's.
        if (isRecord(item) && typeof item.source_project_id === 'number' && typeof item.target_project_id === 'number' && item.source_project_id !== item.target_project_id) continue;
        this.keep(matches, this.parseGitlab(item));
      }
    } else {
      // Gitea's list has no branch filter: walk the pages until an empty one.
      for (let page = 1; page <= GITEA_MAX_PAGES; page += 1) {
        const query = new URLSearchParams({ state: 'all', page: String(page), limit: String(GITEA_PAGE_SIZE) });
        const items = await this.list(`${this.repoPath()}/pulls?${query}`);
        if (items.length === 0) break;
        for (const item of items) {
          // Only requests on our branches are read in full: others may be shaped in ways we do not care about.
          if (!isRecord(item) || !isRecord(item.head) || !isRecord(item.base) || item.head.ref !== head || item.base.ref !== base) continue;
          if (typeof item.head.repo_id === 'number' && typeof item.base.repo_id === 'number' && item.head.repo_id !== item.base.repo_id) continue;
          this.keep(matches, this.parseGitea(item));
        }
        if (matches.some((m) => m.state === 'open')) break;
      }
    }
    return best(matches, this.ask.commit);
  }

  /** Opens the request; null when the forge says one already exists. */
  async create(): Promise<PullRequest | null> {
    const { type } = this.access;
    const { head, base, title, body } = this.ask;
    const [path, payload] =
      type === 'gitlab'
        ? [`${this.repoPath()}/merge_requests`, { source_branch: head, target_branch: base, title, description: body }]
        : [`${this.repoPath()}/pulls`, { title, head, base, body }];
    const answer = await this.call('POST', path, 'opening a pull request', payload);
    if (answer.status === 201 || answer.status === 200) {
      const pr = type === 'github' ? this.parseGithub(answer.json) : type === 'gitlab' ? this.parseGitlab(answer.json) : this.parseGitea(answer.json);
      if (!pr) throw this.malformed(answer, 'opening a pull request');
      return pr;
    }
    if (this.alreadyExists(answer)) return null;
    // Gitea answers 404 for a head or base branch it cannot find; the
    // repository itself was just listed, so that is what a 404 means here.
    if (type === 'gitea' && answer.status === 404) {
      throw this.error('conflict', 404, `${this.name} cannot open a pull request from ${head} into ${base} on ${this.ask.repo} (404${this.detail(answer)}): check that both branches exist on the forge (was ${head} pushed?)`);
    }
    throw this.failure(answer, 'opening a pull request');
  }

  /** The documented "already exists" answer of each forge to a second request for the same branches. */
  private alreadyExists(answer: Answer): boolean {
    switch (this.access.type) {
      case 'github':
        return answer.status === 422 && isRecord(answer.json) && Array.isArray(answer.json.errors) && answer.json.errors.some((e) => isRecord(e) && typeof e.message === 'string' && e.message.includes('A pull request already exists'));
      case 'gitlab':
        return answer.status === 409 && messageOf(answer.json).includes('already exists');
      case 'gitea':
        return answer.status === 409;
    }
  }

  /** The repository's API path: `/repos/owner/name`, or GitLab's `/projects/group%2Fname`. */
  private repoPath(): string {
    if (this.access.type === 'gitlab') return `/projects/${encodeURIComponent(this.ask.repo)}`;
    return `/repos/${this.segments.map(encodeURIComponent).join('/')}`;
  }

  /** A GET that must answer a JSON array. */
  private async list(path: string): Promise<unknown[]> {
    const answer = await this.call('GET', path, 'listing pull requests');
    if (answer.status !== 200) throw this.failure(answer, 'listing pull requests');
    if (!Array.isArray(answer.json)) throw this.malformed(answer, 'listing pull requests');
    return answer.json;
  }

  /** Adds a listed request on our branches; a listed item that does not parse makes the whole answer invalid. */
  private keep(into: PullRequest[], pr: PullRequest | null): void {
    if (!pr) throw this.error('invalid', 200, `${this.name} listed a pull request on ${this.ask.repo} that does not parse: check that the forge's base URL is its API root`);
    if (pr.head === this.ask.head && pr.base === this.ask.base) into.push(pr);
  }

  private parseGithub(raw: unknown): PullRequest | null {
    if (!isRecord(raw) || !isRecord(raw.head) || !isRecord(raw.base)) return null;
    const { number, html_url: url, state, merged_at: mergedAt } = raw;
    if (!isPositiveInt(number) || !isWebUrl(url) || (state !== 'open' && state !== 'closed')) return null;
    if (mergedAt !== undefined && mergedAt !== null && typeof mergedAt !== 'string') return null;
    if (typeof raw.head.ref !== 'string' || typeof raw.base.ref !== 'string') return null;
    return { number, url, state: mergedAt ? 'merged' : state, head: raw.head.ref, base: raw.base.ref, ...sha(raw.head.sha) };
  }

  private parseGitlab(raw: unknown): PullRequest | null {
    if (!isRecord(raw)) return null;
    const { iid, web_url: url, state, source_branch: head, target_branch: base } = raw;
    if (!isPositiveInt(iid) || !isWebUrl(url) || typeof head !== 'string' || typeof base !== 'string') return null;
    // "locked" is the short state of a request being merged: not merged yet.
    const mapped = state === 'opened' || state === 'locked' ? 'open' : state === 'closed' || state === 'merged' ? state : null;
    if (!mapped) return null;
    return { number: iid, url, state: mapped, head, base, ...sha(raw.sha) };
  }

  private parseGitea(raw: unknown): PullRequest | null {
    if (!isRecord(raw) || !isRecord(raw.head) || !isRecord(raw.base)) return null;
    const { number, html_url: url, state, merged } = raw;
    if (!isPositiveInt(number) || !isWebUrl(url) || (state !== 'open' && state !== 'closed')) return null;
    if (merged !== undefined && typeof merged !== 'boolean') return null;
    if (typeof raw.head.ref !== 'string' || typeof raw.base.ref !== 'string') return null;
    return { number, url, state: merged ? 'merged' : state, head: raw.head.ref, base: raw.base.ref, ...sha(raw.head.sha) };
  }

  /** One API request with the forge's auth, its deadline and its size bound. */
  private async call(method: 'GET' | 'POST', path: string, doing: string, payload?: object): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'cline-fleet-control-plane' };
    switch (this.access.type) {
      case 'github':
        headers.authorization = `Bearer ${this.access.token}`;
        headers.accept = 'application/vnd.github+json';
        headers['x-github-api-version'] = '2022-11-28';
        break;
      case 'gitlab':
        headers['private-token'] = this.access.token;
        break;
      case 'gitea':
        headers.authorization = `token ${this.access.token}`;
        break;
    }
    if (payload) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      // No redirects: fetch would resend custom auth headers (PRIVATE-TOKEN) to wherever the forge points.
      const res = await fetch(`${this.api}${path}`, { method, headers, body: payload ? JSON.stringify(payload) : undefined, redirect: 'manual', signal });
      const text = await readBounded(res, MAX_ANSWER_BYTES);
      let json: unknown;
      if (text !== null) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      return { status: res.status, headers: res.headers, json };
    } catch (err) {
      const why = signal.aborted ? `did not answer within ${this.timeoutMs} ms` : `is unreachable (${networkCause(err)})`;
      throw this.error('unavailable', 0, `${this.name} at ${this.api} ${why} while ${doing} on ${this.ask.repo}: retry later; if it persists, check the forge's base URL and that the control plane can reach it`);
    }
  }

  /** The ForgeError for an answer that is not the one asked for. */
  private failure(answer: Answer, doing: string): ForgeError {
    const { status } = answer;
    const repo = this.ask.repo;
    const detail = this.detail(answer);
    if (status === 429 || status >= 500 || (status === 403 && rateLimited(answer))) {
      return this.error('unavailable', status, `${this.name} answered ${status}${detail} while ${doing} on ${repo}: it is busy or down; retry later`);
    }
    if (status === 401 || status === 403) {
      return this.error('refused', status, `${this.name} refused the token (${status}${detail}): check the forge's token and its permission to open pull requests on ${repo}`);
    }
    if (status === 404) {
      return this.error('not_found', status, `${this.name} has no repository ${repo} that the token can see (404${detail}): check the task's repository URL, and that the forge's token has access to it`);
    }
    if (status === 409 || status === 422) {
      return this.error('conflict', status, `${this.name} refused a pull request from ${this.ask.head} into ${this.ask.base} on ${repo} (${status}${detail}): check that ${this.ask.head} was pushed, that ${this.ask.base} exists, and that they differ`);
    }
    if (status >= 300 && status < 400) {
      return this.error('invalid', status, `${this.name} answered a redirect (${status}) while ${doing} on ${repo}: the repository may have moved or the forge's base URL is not its API root; update it`);
    }
    return this.error('invalid', status, `${this.name} answered an unexpected ${status}${detail} while ${doing} on ${repo}: check the forge's base URL and type`);
  }

  private malformed(answer: Answer, doing: string): ForgeError {
    return this.error('invalid', answer.status, `${this.name} gave an answer that does not parse (status ${answer.status}) while ${doing} on ${this.ask.repo}: check that the forge's base URL is its API root (${this.access.type === 'github' ? '/api/v3 or api.github.com' : this.access.type === 'gitlab' ? '/api/v4' : '/api/v1'}) and its type is right`);
  }

  /** ": the forge's own words", short, on one line, and without the token. */
  private detail(answer: Answer): string {
    const text = messageOf(answer.json)
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .trim();
    if (!text) return '';
    const short = text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
    return `: ${this.mask(short)}`;
  }

  /** Hides the token, raw or URL-encoded, wherever it appears. */
  private mask(text: string): string {
    const token = this.access.token;
    if (!token) return text;
    let out = text;
    for (const form of new Set([token, encodeURIComponent(token)])) out = out.split(form).join('***');
    return out;
  }
}

/** A head commit id as a forge lists it: kept only when it is one. */
function sha(value: unknown): { headSha?: string } {
  return typeof value === 'string' && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(value) ? { headSha: value } : {};
}

/**
 * The request to return among several on the same branches: an open one
 * first, then the newest; a closed or merged one only if it was on `commit`
 * (when the caller knows it), so an old request on a reused branch name is
 * never taken for this one.
 */
function best(matches: PullRequest[], commit?: string): PullRequest | null {
  let chosen: PullRequest | null = null;
  for (const m of matches) {
    if (m.state !== 'open' && commit !== undefined && m.headSha !== commit) continue;
    if (!chosen) chosen = m;
    else {
      const open = (p: PullRequest) => (p.state === 'open' ? 1 : 0);
      if (open(m) > open(chosen) || (open(m) === open(chosen) && m.number > chosen.number)) chosen = m;
    }
  }
  return chosen;
}

/** The message a forge put in an error answer: GitHub's `message` and `errors`, GitLab's string or list, Gitea's string. */
function messageOf(json: unknown): string {
  if (!isRecord(json)) return '';
  const parts: string[] = [];
  // Shallow and few: an error body is a message or a short list, not something to walk far into.
  const add = (v: unknown, depth: number) => {
    if (depth > 3 || parts.length >= 10) return;
    if (typeof v === 'string' && v) parts.push(v);
    else if (Array.isArray(v)) for (const x of v.slice(0, 10)) add(x, depth + 1);
    else if (isRecord(v)) {
      if (typeof v.message === 'string') parts.push(v.message);
      else if (typeof v.field === 'string' && typeof v.code === 'string') parts.push(`${v.field} ${v.code}`);
      else for (const [key, x] of Object.entries(v).slice(0, 10)) add(Array.isArray(x) ? x.map((m) => (typeof m === 'string' ? `${key} ${m}` : m)) : x, depth + 1);
    }
  };
  add(json.message, 0);
  if (json.errors !== undefined && json.errors !== null) add(json.errors, 0);
  if (typeof json.error === 'string') parts.push(json.error);
  return parts.join('; ');
}

/** GitHub's rate limits answer 403 as well as 429: those are "later", not "the token". */
function rateLimited(answer: Answer): boolean {
  return answer.headers.get('x-ratelimit-remaining') === '0' || answer.headers.has('retry-after') || /rate limit/i.test(messageOf(answer.json));
}

/** The body as text, or null when it is larger than `max` bytes (the rest is not read). */
async function readBounded(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** "ECONNREFUSED" and the like, from fetch's "fetch failed" and its cause. */
function networkCause(err: unknown): string {
  const cause = isRecord(err) ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A request's page is shown to people and linked: only an absolute http(s) URL is taken. */
function isWebUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 2048) return false;
  try {
    const url = new URL(v);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}
