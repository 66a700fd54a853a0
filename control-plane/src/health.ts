/**
 * grpc.health.v1 on the API port. A replica is SERVING while it can reach
 * JetStream; probes and load balancers take it out of rotation otherwise.
 */
import type * as grpc from '@grpc/grpc-js';
import type { HealthHandlers } from '../../proto/gen/grpc/health/v1/Health.js';
import type { HealthCheckResponse } from '../../proto/gen/grpc/health/v1/HealthCheckResponse.js';

type Status = 'SERVING' | 'NOT_SERVING';
export const HEALTH_SERVICES = ['', 'fleet.v1.FleetService', 'fleet.v1.NodeService'];

export class HealthState {
  private status: Status = 'NOT_SERVING';
  private readonly watchers = new Set<(s: Status) => void>();

  set(status: Status): void {
    if (status === this.status) return;
    this.status = status;
    for (const w of this.watchers) w(status);
  }

  get current(): Status {
    return this.status;
  }

  handlers(): HealthHandlers {
    return {
      Check: (call, callback) => {
        if (!HEALTH_SERVICES.includes(call.request.service)) {
          callback({ code: 5, details: `unknown service "${call.request.service}"` } as grpc.ServiceError);
          return;
        }
        callback(null, { status: this.status });
      },
      Watch: (call) => {
        const known = HEALTH_SERVICES.includes(call.request.service);
        const send = (status: Status) => call.write({ status: known ? status : 'SERVICE_UNKNOWN' } satisfies HealthCheckResponse);
        send(this.status);
        this.watchers.add(send);
        call.on('cancelled', () => this.watchers.delete(send));
        call.on('close', () => this.watchers.delete(send));
      },
    };
  }
}
