import { lookup } from 'node:dns/promises'
import { createVGuardNode } from '../node/index.ts'
import { LISTEN_FAILURES } from '../node/listen-error.ts'
import { UsageError } from './usage-error.ts'
import type { VGuardNode, VGuardNodeOptions } from '../node/index.ts'
import { formatBytes, visible } from './status-format.ts'
import { shownName } from './stored-text.ts'
import { DRAIN_GRACE_MS, startHttpApi } from '../http/server.ts'
import { backupsBeyondBooth } from '../node/config.ts'
import type { HostPort } from './options.ts'
import { onStopSignal } from './stop-signal.ts'
import { explainLibp2pListenError, explainListenError } from './listen-error.ts'

export interface StartOptions extends VGuardNodeOptions {
  http: HostPort
  /** Host names the HTTP API answers besides addresses and localhost (--http-allow-host). */
  httpAllowHosts?: string[]
}

/**
 * A warning when the disk cannot hold the capacity offered: backup duty then
 * ends where the disk does (less the reserve), not at --capacity.
 */
async function capacityShortfall (node: VGuardNode): Promise<string | undefined> {
  const [usage, diskFree] = await Promise.all([node.storageUsage(), node.diskFree()])
  const { capacity, diskReserve, dataDir } = node.config
  const reachable = usage.used + Math.max(0, diskFree - diskReserve)
  if (reachable >= capacity) return undefined
  return `warning: --capacity ${formatBytes(capacity)} is more than the disk of ${dataDir} can hold: it has ${formatBytes(diskFree)} free, ` +
    `${formatBytes(diskReserve)} of which stays for this vehicle's own chain (--disk-reserve); copies of other vehicles' chains stop at ${formatBytes(reachable)}`
}

/**
 * The API's host must resolve before anything starts: a name that does not
 * failed only once the node was up (its key and database made), as a bare
 * `getaddrinfo ENOTFOUND`.
 */
async function checkHttpHost (host: string): Promise<void> {
  try {
    await lookup(host)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    throw new UsageError(`--http: ${host}: ${LISTEN_FAILURES[code] ?? (err as Error).message}`)
  }
}

/** How often a node that lost its database looks whether its chain is back, to say so. */
const OWN_CHAIN_BACK_POLL_MS = 1_000

/** Says once when the node's own chain is back after its database was lost. */
function watchOwnChainBack (node: VGuardNode, say: (line: string) => void): ReturnType<typeof setInterval> {
  let asking = false
  const timer = setInterval(() => {
    if (asking) return
    asking = true
    void (async () => {
      if (await node.consensus.ownChainLost() != null) return
      clearInterval(timer)
      const { height } = await node.chains.tip(node.peerId.toString())
      say(`own chain back from the vehicles that hold it: height ${height}; its writes and reads go on`)
    })().catch(() => {}).finally(() => { asking = false })
  }, OWN_CHAIN_BACK_POLL_MS)
  return timer
}

/** Runs a node until SIGINT/SIGTERM; resolves once it has stopped cleanly. */
export async function runStart (options: StartOptions, out: (line: string) => void): Promise<void> {
  // listen before starting: a signal that comes while we start, or the moment
  // "ready" is out (a supervisor may react within microseconds), must stop the
  // node cleanly instead of killing it with the database open
  const stop = onStopSignal((signal) => { out(`${signal}: already stopping (SIGKILL forces it)`) })
  let node
  let http
  // peer events from the moment the node exists: a bootstrap dial can connect
  // (or be rejected) while it starts. Held back until the header is out.
  const held: string[] = []
  let live = false
  const say = (line: string): void => { if (live) out(line); else held.push(line) }
  try {
    const { http: _, httpAllowHosts, ...nodeOptions } = options
    await checkHttpHost(options.http.host)
    node = await createVGuardNode(nodeOptions)
    node.addEventListener('peer:connected', (e) => { say(`peer connected: ${e.detail.peerId}`) })
    node.addEventListener('peer:disconnected', (e) => { say(`peer disconnected: ${e.detail.peerId}`) })
    node.addEventListener('peer:rejected', (e) => { say(`peer rejected: ${e.detail.peerId} (${e.detail.reason})`) })
    node.addEventListener('peer:cloned', (e) => {
      say(e.detail.cloned
        ? `warning: two processes run the identity of ${e.detail.peerId} (a data dir copied with its peer.key?): it counts as no member here until one of them stops`
        : `peer ${e.detail.peerId} is heard as one process again: a member again`)
    })
    node.addEventListener('identity:cloned', (e) => {
      say(`warning: ${e.detail.seenBy} says two processes run this vehicle's identity (this data dir copied with its peer.key?): stop one of them; the members count neither until then`)
    })
    // the address is a name as --bootstrap (or VGUARD_BOOTSTRAP) gave it, and the transport's words
    // quote it (`getaddrinfo ENOTFOUND <host>`): both escaped (until 2026-12-03 a /dns4/ name's ESC
    // sequence reached the terminal raw). The rejected peer's reason was escaped by the node (peerText).
    node.addEventListener('peer:bootstrap-failed', (e) => { say(`bootstrap ${e.detail.refused === true ? 'refused' : 'unreachable'}: ${shownName(e.detail.address)} (${visible(e.detail.error)})`) })
    await node.start().catch((err: unknown) => { throw explainLibp2pListenError(err, '--listen (VGUARD_LISTEN)') })
    http = await startHttpApi(node, { ...options.http, allowedHosts: httpAllowHosts }).catch((err: unknown) => {
      const { host, port } = options.http
      throw explainListenError(err, 'the HTTP API', `${host.includes(':') ? `[${host}]` : host}:${port}`, '--http (VGUARD_HTTP)')
    })
  } catch (err) {
    stop.dispose()
    await node?.stop()
    throw err
  }
  out(`peer id: ${node.peerId.toString()}`)
  out(`network: ${node.config.network}`)
  for (const addr of node.listenAddrs) out(`listening: ${addr.toString()}`)
  // what peers are told instead (--announce): without it, the same addresses again
  if (node.config.announce.length > 0) for (const addr of node.multiaddrs) out(`announcing: ${addr.toString()}`)
  out(`http: ${http.url}`)
  out(`dashboard: ${http.url}/dashboard`)
  const short = await capacityShortfall(node)
  if (short != null) out(short)
  const beyond = backupsBeyondBooth(node.config)
  if (beyond != null) out(`warning: --k-backups ${node.config.kBackups}, --booth-size ${node.config.boothSize}: ${beyond}`)
  const lost = await node.consensus.ownChainLost()
  if (lost != null) {
    out(`warning: this node lost its database (${lost}): it fetches its own chain back from the vehicles that hold it as they connect; ` +
      'until then its writes and local reads of it fail (vguard-node status says when it is back)')
  }
  // the warning's other half: a chaos probe's log said the chain was lost, and never that it came back
  const watch = lost == null ? undefined : watchOwnChainBack(node, say)
  for (const line of held.splice(0)) out(line)
  live = true
  out('ready')

  out(`${await stop.signal}: stopping`)
  clearInterval(watch)
  try {
    // new requests are answered that the node is stopping, and those running (a write waiting for its
    // commit) get their answer (stopping the node under them answered 503 "may have committed" for
    // writes that had: a review); then the node, so its event streams say node:stopped before they end
    // (the API closed first ended them silently: a probe); then the API
    // writes forwarded by peers likewise (the node stopping under them answered 'may have committed' too)
    await Promise.all([http.drain(DRAIN_GRACE_MS), node.drain(DRAIN_GRACE_MS)])
    await node.stop()
    await http.close()
  } catch (err) {
    stop.dispose()
    throw err
  }
  // not dispose(): without a listener, a repeat in the moments before the process exits would end it with 143
  stop.settle()
  out('stopped')
}
