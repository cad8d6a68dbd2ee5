import { createVGuardNode } from '../node/index.ts'
import type { VGuardNodeOptions } from '../node/index.ts'
import { startHttpApi } from '../http/server.ts'
import type { HostPort } from './options.ts'

export interface StartOptions extends VGuardNodeOptions {
  http: HostPort
}

/** Runs a node until SIGINT/SIGTERM; resolves once it has stopped cleanly. */
export async function runStart (options: StartOptions, out: (line: string) => void): Promise<void> {
  const node = await createVGuardNode(options)
  await node.start()
  let http
  try {
    http = await startHttpApi(node, options.http)
  } catch (err) {
    await node.stop()
    throw err
  }
  out(`peer id: ${node.peerId.toString()}`)
  out(`network: ${node.config.network}`)
  for (const addr of node.multiaddrs) out(`listening: ${addr.toString()}`)
  out(`http: ${http.url}`)
  node.addEventListener('peer:connected', (e) => { out(`peer connected: ${e.detail.peerId}`) })
  node.addEventListener('peer:disconnected', (e) => { out(`peer disconnected: ${e.detail.peerId}`) })
  node.addEventListener('peer:rejected', (e) => { out(`peer rejected: ${e.detail.peerId} (${e.detail.reason})`) })
  out('ready')

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      out(`${signal}: stopping`)
      resolve()
    }
    const onInt = (): void => { stop('SIGINT') }
    const onTerm = (): void => { stop('SIGTERM') }
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
  await http.close()
  await node.stop()
  out('stopped')
}
