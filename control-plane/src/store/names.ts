/** What the control plane's state is called in JetStream: buckets, object stores, streams. */

export const BUCKETS = {
  tasks: 'fleet_tasks',
  nodes: 'fleet_nodes',
  joinTokens: 'fleet_join_tokens',
  idempotency: 'fleet_idempotency',
  leases: 'fleet_leases',
  replicas: 'fleet_replicas',
  providers: 'fleet_providers',
  accessTokens: 'fleet_access_tokens',
  rollouts: 'fleet_rollouts',
  autoscale: 'fleet_autoscale',
  /** Each rate-limited provider's last minute of permits and tokens (common/rate-window.ts); not backed up. */
  providerRates: 'fleet_provider_rates',
  forges: 'fleet_forges',
  teams: 'fleet_teams',
  /** What each team spent on each UTC day (common/teams.ts), kept eight days. */
  teamSpend: 'fleet_team_spend',
} as const;

/** A team's spend of a day is kept this long: a week of `team get` history, and the day itself whatever the clocks say. */
export const TEAM_SPEND_TTL_MS = 8 * 86_400_000;

/** Object stores: Cline results (patches), one object per attempt. */
export const OBJECT_STORES = {
  results: 'fleet_results',
} as const;

export const STREAMS = {
  events: { name: 'FLEET_EVENTS', subjects: ['fleet.events.>'] },
  logs: { name: 'FLEET_LOGS', subjects: ['fleet.logs.>'] },
  audit: { name: 'FLEET_AUDIT', subjects: ['fleet.audit.>'] },
} as const;
