/**
 * Forges (GitHub, GitLab, Gitea) that receive Cline results as branches and
 * pull requests. A forge's token is sealed before it is stored, bound to
 * where it may go (the forge's API root and the prefix of its repository
 * URLs), and opened only by the control plane's delivery: it never reaches a
 * node, a container or an API answer.
 */
import type { Clock } from '../../common/clock.js';
import { NotFoundError, PreconditionError, ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { FORGE_TYPES, type ForgeType } from '../../common/model.js';
import { FORGE_NAME_PATTERN, isPlainRepositoryUrl } from '../../common/task-spec.js';
import type { Forge as ForgeMsg } from '../../proto/gen/fleet/v1/Forge.js';
import type { SetForgeRequest__Output } from '../../proto/gen/fleet/v1/SetForgeRequest.js';
import { secretUrl, sendsInClear } from './secret-url.js';
import type { ForgeAccess as ForgeApiAccess } from './delivery/forge-api.js';
import type { SecretBox } from './secret-box.js';
import type { KvRecords } from './store/kv-records.js';
import type { ForgeRecord } from './store/records.js';

export interface ForgeInput {
  name: string;
  type: ForgeType;
  apiUrl: string;
  gitUrl: string;
  token: string;
  insecureHttp: boolean;
}

/** A forge with its token opened: what its API needs, and where its repositories are (a delivery's push). */
export interface ForgeAccess extends ForgeApiAccess {
  name: string;
  gitUrl: string;
}

const URL_CHARS = 512;
const TOKEN_CHARS = 4096;

export function checkForgeName(field: string, name: string): string {
  if (!FORGE_NAME_PATTERN.test(name)) throw new ValidationError(field, 'forge names are lower-case letters, digits, "-" and "_" (at most 63)');
  return name;
}

/** What the sealed token is bound to: every field that decides where it is sent. */
export function forgeBinding(f: { name: string; type: ForgeType; apiUrl: string; gitUrl: string; insecureHttp?: boolean }): string {
  return JSON.stringify(['forge/1', f.name, f.type, f.apiUrl, f.gitUrl, Boolean(f.insecureHttp)]);
}

/**
 * Where the forge's repositories are, when not given: GitHub's API host
 * (api.github.com) serves repositories from github.com; an enterprise API
 * (https://HOST/api/v3), GitLab and Gitea serve them from the API's origin.
 */
export function defaultGitUrl(type: ForgeType, apiUrl: URL): string {
  if (type === 'github' && apiUrl.hostname === 'api.github.com') return 'https://github.com/';
  return `${apiUrl.origin}/`;
}

/** Validates SetForge's fields, naming the first bad one. */
export function compileForgeInput(req: SetForgeRequest__Output): ForgeInput {
  const name = checkForgeName('name', String(req.name ?? ''));
  const type = FORGE_TYPES.find((t) => t === req.type);
  if (!type) throw new ValidationError('type', `must be one of ${FORGE_TYPES.join(', ')}, got "${String(req.type ?? '').slice(0, 40)}"`);
  const insecure = Boolean(req.insecureHttp);
  const apiText = String(req.baseUrl ?? '').trim().replace(/\/+$/, '');
  // The token travels to both: in clear only to this machine's loopback, or where an operator said so.
  const rule = (example: string) => ({ secret: 'token', secretFlag: '--forge-token-file', what: 'URL', example, maxChars: URL_CHARS, insecureHttp: insecure });
  const api = secretUrl('base_url', apiText, rule(type === 'github' ? 'https://api.github.com' : type === 'gitlab' ? 'https://gitlab.example.com/api/v4' : 'https://gitea.example.com/api/v1'));
  const gitText = String(req.gitUrl ?? '').trim() || defaultGitUrl(type, api);
  const git = secretUrl('git_url', gitText, rule('https://github.com/'));
  const gitUrl = git.href.endsWith('/') ? git.href : `${git.href}/`;
  const token = String(req.token ?? '').trim();
  if (token === '') throw new ValidationError('token', 'is required: give it with --forge-token-file FILE (or - for standard input)');
  // What an HTTP header carries as is; Gitea takes the token as the Basic user name, which cannot hold ":".
  if (token.length > TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) throw new ValidationError('token', `must be one line of printable ASCII without spaces, at most ${TOKEN_CHARS} characters`);
  if (type === 'gitea' && token.includes(':')) throw new ValidationError('token', 'a Gitea token has no ":" (it goes as the Basic user name)');
  const insecureHttp = insecure && sendsInClear([api, git]);
  return { name, type, apiUrl: apiText, gitUrl, token, insecureHttp };
}

export function forgeToProto(f: ForgeRecord): ForgeMsg {
  return { name: f.name, type: f.type, baseUrl: f.apiUrl, gitUrl: f.gitUrl, createdAtMs: f.createdAtMs, updatedAtMs: f.updatedAtMs };
}

/** The repository is the forge's: its URL starts with the forge's repository prefix (whole path segments). */
export function isForgeRepository(forge: { gitUrl: string }, repoUrl: string): boolean {
  // Plain and canonical: the host Node reads is the host git (curl) reads, whatever the submitter wrote.
  if (!isPlainRepositoryUrl(repoUrl)) return false;
  const url = new URL(repoUrl);
  return repoUrl.startsWith(forge.gitUrl) && url.pathname.length > new URL(forge.gitUrl).pathname.length;
}

export class Forges {
  constructor(
    private readonly records: KvRecords<ForgeRecord>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async set(input: ForgeInput): Promise<ForgeRecord> {
    const now = this.clock.now();
    const record: ForgeRecord = {
      name: input.name,
      type: input.type,
      apiUrl: input.apiUrl,
      gitUrl: input.gitUrl,
      ...(input.insecureHttp ? { insecureHttp: true } : {}),
      sealedToken: this.box.seal(input.token, forgeBinding(input)),
      createdAtMs: now,
      updatedAtMs: now,
    };
    await this.records.upsert(input.name, (existing) => (existing ? { ...record, createdAtMs: existing.createdAtMs } : record));
    this.log.info({ forge: input.name, type: input.type, apiUrl: input.apiUrl, gitUrl: input.gitUrl, insecureHttp: input.insecureHttp }, 'forge set');
    return record;
  }

  async list(): Promise<ForgeRecord[]> {
    return (await this.records.list()).map((r) => r.value).sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(name: string): Promise<ForgeRecord> {
    const existing = await this.records.get(name);
    if (!existing) throw new NotFoundError(`forge ${name} not found`);
    await this.records.delete(name);
    this.log.info({ forge: name }, 'forge deleted');
    return existing.value;
  }

  /** Submission checks the forge exists and owns the repository, so a typo fails at once rather than after the run. */
  async require(name: string, repoUrl: string): Promise<ForgeRecord> {
    const found = await this.records.get(name);
    if (!found) throw new PreconditionError(`forge "${name}" is not configured: run fleetctl forge set ${name} --type github|gitlab|gitea --base-url URL --forge-token-file FILE`);
    if (!isForgeRepository(found.value, repoUrl)) {
      throw new ValidationError('spec.cline.repo_url', `is not a repository of forge "${name}" (its repositories start with ${found.value.gitUrl}): the forge's token goes to no other URL`);
    }
    return found.value;
  }

  /** The forge with its token opened, for the delivery of a task on `repoUrl` (checked again: the forge may have changed since submission). */
  async access(name: string, repoUrl: string): Promise<ForgeAccess> {
    const f = await this.require(name, repoUrl);
    return { name: f.name, type: f.type, apiUrl: f.apiUrl, gitUrl: f.gitUrl, token: this.box.open(f.sealedToken, forgeBinding(f), `forge "${f.name}"`) };
  }
}
