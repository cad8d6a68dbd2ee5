/**
 * Shared by every vguard stream protocol: ids are built as
 * `/${prefix}/${name}/${version}`, e.g. `/vguard/sync/1.0.0`. The prefix can be
 * overridden through each service's Init (as libp2p's `protocolPrefix`), so two
 * deployments on one LAN can keep their protocols apart.
 */
export const PROTOCOL_PREFIX = 'vguard'

/** Builds a protocol id; `prefix` is written without slashes. */
export function protocolId (name: string, version: string, prefix: string = PROTOCOL_PREFIX): string {
  return `/${prefix}/${name}/${version}`
}
