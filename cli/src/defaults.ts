/** Where fleetctl looks for the control plane when nothing else says. */
export const DEFAULT_SERVER = '127.0.0.1:7700';
