import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { hostOf, SERVER_NAME } from './tls-names.js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as FleetProto } from '../proto/gen/fleet.js';
import type { ProtoGrpcType as HealthProto } from '../proto/gen/health.js';

/** Options that match the ones `npm run gen` generates types for. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Found from the source tree (tsx) and from dist/ alike. */
function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'fleet', 'v1', 'fleet.proto'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('proto/fleet/v1/fleet.proto not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

let definition: protoLoader.PackageDefinition | undefined;
let loaded: { fleet: FleetProto; health: HealthProto } | undefined;

/** The parsed contract: services with their (de)serializers, as gRPC uses them. */
export function protoDefinition(): protoLoader.PackageDefinition {
  definition ??= protoLoader.loadSync(['fleet/v1/fleet.proto', 'grpc/health/v1/health.proto'], { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  return definition;
}

export function loadProtos(): { fleet: FleetProto; health: HealthProto } {
  if (!loaded) {
    const pkg = grpc.loadPackageDefinition(protoDefinition()) as unknown as FleetProto & HealthProto;
    loaded = { fleet: pkg, health: pkg };
  }
  return loaded;
}

/** Larger than any valid request, so validation (not the transport) names an oversized field. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/**
 * The control plane's server: its own keepalive pings are rare. Node
 * sessions prove themselves with heartbeats (a silent one is ended by its
 * replica) and agents ping every 10 s to find a dead server; a server ping
 * every 10 s to each of ten thousand nodes would cost as much as their
 * heartbeats. Once a minute still clears connections whose peer vanished.
 * No channelz bookkeeping per socket and call: nothing here reads it.
 */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  ...CHANNEL_OPTIONS,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.enable_channelz': 0,
};

/**
 * Channel options for one target. TLS may not name a server by an IP
 * address (RFC 6066), so a target given as an address is named by the
 * fleet's server name, which every fleet-CA server certificate carries.
 */
export function channelOptions(target: string): grpc.ChannelOptions {
  return isIP(hostOf(target)) ? { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': SERVER_NAME } : CHANNEL_OPTIONS;
}
