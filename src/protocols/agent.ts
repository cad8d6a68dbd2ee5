/**
 * identify's agent string, `vguard-node/<version> network=<name>`: how a peer
 * tells which network it belongs to. Peering drops peers of another network;
 * the read and peer-exchange membership checks read the same field.
 */

export function agentVersion (version: string, network: string): string {
  return `vguard-node/${version} network=${network}`
}

/** The network an agent string names, or undefined when it is not a vguard-node's. */
export function networkOfAgent (agent: string | undefined): string | undefined {
  const match = agent?.match(/^vguard-node\/[^ ]+ network=(\S+)$/)
  return match?.[1]
}
