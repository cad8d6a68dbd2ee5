import { createVGuardNode } from '../node/index.ts'
import type { VGuardNodeOptions } from '../node/index.ts'
import { startHttpApi } from '../http/server.ts'
import type { HostPort } from './options.ts'
import { onStopSignal } from './stop-signal.ts'

export interface StartOptions extends VGuardNodeOptions {
  http: HostPort
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
    node = await createVGuardNode(options)
    node.addEventListener('peer:connected', (e) => { say(`peer connected: ${e.detail.peerId}`) })
    node.addEventListener('peer:disconnected', (e) => { say(`peer disconnected: ${e.detail.peerId}`) })
    node.addEventListener('peer:rejected', (e) => { say(`peer rejected: ${e.detail.peerId} (${e.detail.reason})`) })
    await node.start()
    http = await startHttpApi(node, options.http)
  } catch (err) {
    stop.dispose()
    await node?.stop()
    throw err
  }
  out(`peer id: ${node.peerId.toString()}`)
  out(`network: ${node.config.network}`)
  for (const addr of node.multiaddrs) out(`listening: ${addr.toString()}`)
  out(`http: ${http.url}`)
  out(`dashboard: ${http.url}/dashboard`)
  for (const line of held.splice(0)) out(line)
  live = true
  out('ready')

  out(`${await stop.signal}: stopping`)
  try {
    await http.close()
    await node.stop()
  } finally {
    stop.dispose()
  }
  out('stopped')
}
