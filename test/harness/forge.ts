/**
 * A stand-in forge on loopback for tests: one node http server that is both
 * a git smart-HTTP server (`git http-backend`, as in git-http.ts, with
 * pushes behind HTTP Basic auth) and the pull-request part of one forge's
 * API (GitHub's, GitLab's or Gitea's), answering as the real forge documents:
 * its auth header, its paths, its JSON shapes, and its status codes for a
 * wrong token (401), an unknown repository (404), a second open request on
 * the same branches ("already exists") and a head branch that was never
 * pushed.
 *
 * A repository is a bare directory `{root}/{repo}.git`; the API looks at it
 * to tell whether the repository and its branches exist. Pull requests live
 * in `pulls`, which tests may read and change (mark one merged or closed).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitCredentials, type ForgeType } from '../../control-plane/src/delivery/forge-api.js';
import { git, makeRepo } from './git.js';
import { serveGitBackend } from './git-http.js';

export interface ForgeStandIn {
  type: ForgeType;
  /** what `forge set --base-url` takes: http://127.0.0.1:PORT/api/v3 (github), /api/v4 (gitlab), /api/v1 (gitea) */
  apiUrl: string;
  /** the repository's clone/push URL: http://127.0.0.1:PORT/{repo}.git */
  gitUrl(repo: string): string;
  /** Creates a bare repository {root}/{repo}.git with branch main holding `files` in one commit (configured uploadpack.allowFilter=true, uploadpack.allowAnySHA1InWant=true); returns the commit id. */
  createRepo(repo: string, files: Record<string, string>): string;
  /** Every pull/merge request opened, in order. */
  pulls: PullRecord[];
  /** Requests seen: API and git (path with its query, which holds no secret), with whether their credentials were right. */
  requests: Array<{ method: string; path: string; authorized: boolean }>;
  /** Pushes accepted (git-receive-pack POSTs that were authorized). */
  pushes: number;
  /** While true, every request (API and git) answers 503. */
  down: boolean;
  /** Refuses pushes to branches matching this glob-free prefix in repo (a pre-receive hook printing "protected branch"). */
  protect(repo: string, branchPrefix: string): void;
  close(): Promise<void>;
}

export interface PullRecord {
  repo: string;
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed' | 'merged';
  /** The head branch's commit when the request was opened (as forges list it). */
  headSha?: string;
}

const API_PREFIX: Record<ForgeType, string> = { github: '/api/v3', gitlab: '/api/v4', gitea: '/api/v1' };
/** Repository paths the stand-in accepts: plain segments, so that none can leave the root. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
/** Refuses ref updates whose name starts with a line of `protected-prefixes` (hooks run in the bare repository). */
const PRE_RECEIVE = `#!/bin/sh
while read -r old new ref; do
  while IFS= read -r prefix; do
    case "$ref" in
      "refs/heads/$prefix"*) echo "protected branch: $ref" >&2; exit 1 ;;
    esac
  done < protected-prefixes
done
exit 0
`;

export async function startForge(options: { type: ForgeType; token: string; root: string }): Promise<ForgeStandIn> {
  const { type, token, root } = options;
  const prefix = API_PREFIX[type];
  const push = gitCredentials({ type, apiUrl: '', token });
  const expectedBasic = `Basic ${Buffer.from(`${push.username}:${push.password}`).toString('base64')}`;
  mkdirSync(root, { recursive: true });
  let origin = '';

  const repoDir = (repo: string) => join(root, `${repo}.git`);
  const repoExists = (repo: string) => repo.split('/').length >= 2 && repo.split('/').every((s) => SEGMENT.test(s)) && existsSync(repoDir(repo));
  const branchExists = (repo: string, branch: string) => {
    try {
      execFileSync('git', ['--git-dir', repoDir(repo), 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  const forge: ForgeStandIn = {
    type,
    apiUrl: '',
    gitUrl: (repo) => `${origin}/${repo}.git`,
    createRepo(repo, files) {
      if (!repo.split('/').every((s) => SEGMENT.test(s))) throw new Error(`bad repository path ${repo}`);
      const work = mkdtempSync(join(tmpdir(), 'forge-work-'));
      try {
        const commit = makeRepo(work, files);
        const dest = repoDir(repo);
        mkdirSync(dest, { recursive: true });
        git(dest, 'init', '--quiet', '--bare', '--initial-branch=main');
        git(dest, 'config', 'uploadpack.allowFilter', 'true');
        git(dest, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
        git(work, 'push', '--quiet', dest, 'main');
        return commit;
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    pulls: [],
    requests: [],
    pushes: 0,
    down: false,
    protect(repo, branchPrefix) {
      appendFileSync(join(repoDir(repo), 'protected-prefixes'), `${branchPrefix}\n`);
      const hook = join(repoDir(repo), 'hooks', 'pre-receive');
      mkdirSync(join(repoDir(repo), 'hooks'), { recursive: true });
      writeFileSync(hook, PRE_RECEIVE);
      chmodSync(hook, 0o755);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  /** Whether the request carries this forge's API token in this forge's header. */
  const apiAuthorized = (req: IncomingMessage): boolean => {
    switch (type) {
      case 'github':
        return req.headers.authorization === `Bearer ${token}`;
      case 'gitlab':
        return req.headers['private-token'] === token;
      case 'gitea':
        return req.headers.authorization === `token ${token}`;
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isApi = url.pathname.startsWith(`${prefix}/`);
    const authorized = isApi ? apiAuthorized(req) : req.headers.authorization === expectedBasic;
    forge.requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, authorized });
    if (forge.down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance\n');
      return;
    }
    if (isApi) {
      api(req, res, url, authorized).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { message: 'stand-in failure' });
        else res.end();
      });
      return;
    }
    const isPush = url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
    if (isPush && !authorized) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="forge"', 'content-type': 'text/plain' }).end('authentication required\n');
      return;
    }
    if (isPush && req.method === 'POST') forge.pushes += 1;
    // REMOTE_USER, set for an authorized push, is what lets http-backend run receive-pack.
    serveGitBackend(req, res, url, { root, remoteUser: isPush ? push.username : null });
  });

  /** The forge's pull-request API: list and create, on the repositories under the root. */
  async function api(req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean): Promise<void> {
    const body = await readBody(req);
    if (!authorized) return sendJson(res, 401, errorBody(type, 401, 'unauthorized'));
    const parts = url.pathname.slice(prefix.length + 1).split('/');
    let repo: string | undefined;
    // GitHub and Gitea: /repos/{owner}/{name}/pulls. GitLab: /projects/{url-encoded path}/merge_requests.
    if (type === 'gitlab' && parts.length === 3 && parts[0] === 'projects' && parts[2] === 'merge_requests') repo = decodeURIComponent(parts[1] ?? '');
    if (type !== 'gitlab' && parts.length === 4 && parts[0] === 'repos' && parts[3] === 'pulls') repo = `${decodeURIComponent(parts[1] ?? '')}/${decodeURIComponent(parts[2] ?? '')}`;
    if (repo === undefined || !repoExists(repo)) return sendJson(res, 404, errorBody(type, 404, 'not found'));
    if (req.method === 'GET') return sendJson(res, 200, list(repo, url.searchParams).map((p) => shape(p)));
    if (req.method !== 'POST') return sendJson(res, 405, { message: 'method not allowed' });

    let ask: unknown;
    try {
      ask = JSON.parse(body);
    } catch {
      return sendJson(res, 400, { message: 'Problems parsing JSON' });
    }
    const field = (name: string) => (typeof ask === 'object' && ask !== null && typeof (ask as Record<string, unknown>)[name] === 'string' ? ((ask as Record<string, unknown>)[name] as string) : '');
    const head = field(type === 'gitlab' ? 'source_branch' : 'head');
    const base = field(type === 'gitlab' ? 'target_branch' : 'base');
    const title = field('title');
    const text = field(type === 'gitlab' ? 'description' : 'body');
    if (!head || !base || !title) return sendJson(res, type === 'gitlab' ? 400 : 422, { message: 'head, base and title are required' });
    for (const [which, branch] of [['head', head], ['base', base]] as const) {
      if (branchExists(repo, branch)) continue;
      if (type === 'github') return sendJson(res, 422, { ...errorBody(type, 422, ''), errors: [{ resource: 'PullRequest', field: which, code: 'invalid' }] });
      if (type === 'gitlab') return sendJson(res, 422, { message: [`${which === 'head' ? 'Source' : 'Target'} branch "${branch}" does not exist`] });
      return sendJson(res, 404, errorBody(type, 404, 'not found'));
    }
    // From here to the push, nothing waits: two asks at once cannot both pass this check.
    const open = forge.pulls.find((p) => p.repo === repo && p.head === head && p.base === base && p.state === 'open');
    if (open) {
      const owner = repo.split('/')[0];
      if (type === 'github') return sendJson(res, 422, { ...errorBody(type, 422, ''), errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.` }] });
      if (type === 'gitlab') return sendJson(res, 409, { message: [`Another open merge request already exists for this source branch: !${open.number}`] });
      return sendJson(res, 409, { message: `pull request already exists for these targets [id: ${open.number}, issue_id: ${open.number}, head_repo_id: 1, base_repo_id: 1, head_branch: ${head}, base_branch: ${base}]`, url: `${origin}/api/swagger` });
    }
    const headSha = execFileSync('git', ['--git-dir', repoDir(repo), 'rev-parse', '--verify', `refs/heads/${head}`], { encoding: 'utf8' }).trim();
    const pull: PullRecord = { repo, number: forge.pulls.filter((p) => p.repo === repo).length + 1, head, base, title, body: text, state: 'open', headSha };
    forge.pulls.push(pull);
    return sendJson(res, 201, shape(pull));
  }

  /** The repository's requests that the forge's list filters keep, newest first (the forges' default order). */
  function list(repo: string, query: URLSearchParams): PullRecord[] {
    const state = query.get('state') ?? (type === 'gitlab' ? 'all' : 'open');
    let pulls = forge.pulls.filter((p) => p.repo === repo).reverse();
    if (type === 'gitlab') {
      const wanted: Record<string, PullRecord['state'] | undefined> = { opened: 'open', closed: 'closed', merged: 'merged' };
      if (state !== 'all') pulls = pulls.filter((p) => p.state === wanted[state]);
      const source = query.get('source_branch');
      const target = query.get('target_branch');
      if (source !== null) pulls = pulls.filter((p) => p.head === source);
      if (target !== null) pulls = pulls.filter((p) => p.base === target);
    } else {
      // "closed" includes merged on GitHub and Gitea.
      if (state === 'open') pulls = pulls.filter((p) => p.state === 'open');
      if (state === 'closed') pulls = pulls.filter((p) => p.state !== 'open');
      if (type === 'github') {
        // As GitHub does, a head filter without its "owner:" is ignored.
        const headFilter = query.get('head');
        const colon = headFilter?.indexOf(':') ?? -1;
        if (headFilter && colon > 0) pulls = pulls.filter((p) => headFilter.slice(0, colon) === repo.split('/')[0] && p.head === headFilter.slice(colon + 1));
        const base = query.get('base');
        if (base !== null) pulls = pulls.filter((p) => p.base === base);
      }
    }
    // GitHub and GitLab page with per_page (at most 100); Gitea with limit (at most 50, 30 by default).
    const size = type === 'gitea' ? Math.min(Number(query.get('limit') ?? 30) || 30, 50) : Math.min(Number(query.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    return pulls.slice((page - 1) * size, page * size);
  }

  /** A request as the forge's API shows it (the fields the client reads, and a few around them). */
  function shape(p: PullRecord): object {
    const [owner] = p.repo.split('/');
    const repoInfo = { id: 1, full_name: p.repo };
    if (type === 'github') {
      return {
        id: p.number,
        number: p.number,
        url: `${forge.apiUrl}/repos/${p.repo}/pulls/${p.number}`,
        html_url: `${origin}/${p.repo}/pull/${p.number}`,
        state: p.state === 'open' ? 'open' : 'closed',
        title: p.title,
        body: p.body,
        merged_at: p.state === 'merged' ? '2024-01-01T00:00:00Z' : null,
        head: { label: `${owner}:${p.head}`, ref: p.head, sha: p.headSha, repo: repoInfo },
        base: { label: `${owner}:${p.base}`, ref: p.base, repo: repoInfo },
      };
    }
    if (type === 'gitlab') {
      return {
        id: p.number,
        iid: p.number,
        project_id: 1,
        title: p.title,
        description: p.body,
        state: p.state === 'open' ? 'opened' : p.state,
        source_branch: p.head,
        target_branch: p.base,
        sha: p.headSha,
        source_project_id: 1,
        target_project_id: 1,
        web_url: `${origin}/${p.repo}/-/merge_requests/${p.number}`,
      };
    }
    return {
      id: p.number,
      number: p.number,
      url: `${origin}/${p.repo}/pulls/${p.number}`,
      html_url: `${origin}/${p.repo}/pulls/${p.number}`,
      state: p.state === 'open' ? 'open' : 'closed',
      merged: p.state === 'merged',
      title: p.title,
      body: p.body,
      head: { label: p.head, ref: p.head, sha: p.headSha, repo_id: 1, repo: repoInfo },
      base: { label: p.base, ref: p.base, repo_id: 1, repo: repoInfo },
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  forge.apiUrl = `${origin}${prefix}`;
  return forge;
}

/** Each forge's error body for a status, as it documents it. */
function errorBody(type: ForgeType, status: 401 | 404 | 422, what: string): Record<string, unknown> {
  if (type === 'github') {
    const message = status === 401 ? 'Bad credentials' : status === 404 ? 'Not Found' : 'Validation Failed';
    return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
  }
  if (type === 'gitlab') return { message: status === 401 ? '401 Unauthorized' : status === 404 ? '404 Project Not Found' : what };
  return { message: status === 401 ? 'token is required' : status === 404 ? "The target couldn't be found." : what, errors: [], url: '' };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The request body (API asks are small: more than 1 MiB is cut off). */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= 1024 * 1024) chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
