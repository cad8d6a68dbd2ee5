import { createVGuardNode } from '../node/index.ts'
import type { VGuardNodeOptions } from '../node/index.ts'
import { startHttpApi } from '../http/server.ts'
import type { HostPort } from './options.ts'

export interface StartOptions extends VGuardNodeOptions {
  http: HostPort
}

/** Resolves with the first SIGINT or SIGTERM; dispose() stops listening. */
function onStopSignal (): { signal: Promise<string>, dispose: () => void } {
  let dispose = (): void => {}
  const signal = new Promise<string>((resolve) => {
    const onInt = (): void => { dispose(); resolve('SIGINT') }
    const onTerm = (): void => { dispose(); resolve('SIGTERM') }
    dispose = () => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    }
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
  return { signal, dispose }
}

/** Runs a node until SIGINT/SIGTERM; resolves once it has stopped cleanly. */
export async function runStart (options: StartOptions, out: (line: string) => void): Promise<void> {
  // listen before starting: a signal that comes while we start, or the moment
  // "ready" is out (a supervisor may react within microseconds), must stop the
  // node cleanly instead of killing it with the database open
  const stop = onStopSignal()
  let node
  let http
  try {
    node = await createVGuardNode(options)
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
  // peers met while the node started, then every later one (no gap: this runs in one turn)
  for (const peer of node.peers()) out(`peer connected: ${peer.peerId}`)
  node.addEventListener('peer:connected', (e) => { out(`peer connected: ${e.detail.peerId}`) })
  node.addEventListener('peer:disconnected', (e) => { out(`peer disconnected: ${e.detail.peerId}`) })
  node.addEventListener('peer:rejected', (e) => { out(`peer rejected: ${e.detail.peerId} (${e.detail.reason})`) })
  out('ready')

  out(`${await stop.signal}: stopping`)
  await http.close()
  await node.stop()
  out('stopped')
}
