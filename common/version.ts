/** The version of this build of the fleet (control plane, agent and fleetctl ship together). */
export const FLEET_VERSION = '0.1.0';
