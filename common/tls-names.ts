/**
 * How clients name the control plane over TLS. Every control-plane
 * certificate the fleet CA issues carries the DNS name `SERVER_NAME`;
 * clients that trust the fleet CA accept it under any address (as Nomad's
 * `server.<region>.nomad`), so a replica reached at an address its
 * certificate does not list is still verified. Kept apart from `pki.ts` so
 * that clients do not load the certificate-issuing library.
 */
export const SERVER_NAME = 'control-plane.fleet';

/**
 * A client's check of the server's name: the usual hostname check, or the
 * fleet's own server name (the chain was verified against the CA first).
 */
export function serverNameCheck<C extends { subjectaltname?: string }>(checkHost: (host: string, cert: C) => Error | undefined) {
  return (host: string, cert: C): Error | undefined => {
    const names = (cert.subjectaltname ?? '').split(', ');
    if (names.includes(`DNS:${SERVER_NAME}`)) return undefined;
    return checkHost(host, cert);
  };
}

/** The host of a `HOST:PORT` target, IPv6 brackets removed: what a certificate names. */
export function hostOf(target: string): string {
  return target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}
