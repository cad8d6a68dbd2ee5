/**
 * The demo: a local swarm of vehicles, shown in a live table.
 *
 * mDNS multicast leaves by the default interface, and the demo may only send to
 * loopback and to namespaces it creates. So as root on Linux it re-runs itself
 * in a private network namespace with just `lo` up (mDNS then works between
 * the vehicles over loopback); otherwise mDNS is off and vehicles bootstrap
 * over 127.0.0.1. It says which it chose.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNode } from '../swarm/process.ts'
import type { NodeProcess } from '../swarm/process.ts'
import { fetchStatus, renderTable } from './table.ts'
import { canUnshareNetwork, inPrivateNetns, reexecInPrivateNetns } from '../swarm/netns.ts'

export interface DemoFlags {
  vehicles: number
  duration?: number
  netns: boolean
}

const IN_NETNS_ENV = 'VGUARD_DEMO_IN_NETNS'

export async function runDemo (flags: DemoFlags, out: (line: string) => void): Promise<void> {
  const inNetns = inPrivateNetns(IN_NETNS_ENV)
  if (!inNetns && flags.netns && canUnshareNetwork()) {
    out('demo: running the vehicles in a private network namespace (root on Linux): mDNS discovery over loopback')
    const code = await reexecInPrivateNetns(IN_NETNS_ENV)
    if (code !== 0) throw new Error(`demo in network namespace exited with ${code}`)
    return
  }
  const useMdns = inNetns
  if (!inNetns) {
    out('demo: no private network namespace (needs root on Linux): mDNS off, vehicles bootstrap over 127.0.0.1')
  }

  const network = `demo-${process.pid}`
  const root = await mkdtemp(join(tmpdir(), 'vguard-demo-'))
  const vehicles: NodeProcess[] = []
  const state = { stopping: false }
  const stopAll = async (): Promise<void> => {
    await Promise.all(vehicles.map(async v => await v.stop()))
    await rm(root, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < flags.vehicles; i++) {
      const args = [
        '--data-dir', join(root, `vehicle-${i + 1}`),
        '--listen', '/ip4/127.0.0.1/tcp/0',
        '--http', '127.0.0.1:0',
        '--network', network,
        '--mdns-interval', '1000'
      ]
      if (!useMdns) {
        args.push('--no-mdns')
        // without multicast, vehicles bootstrap to the first; peer exchange does the rest
        if (vehicles.length > 0) args.push('--bootstrap', vehicles[0].addresses[0])
      }
      vehicles.push(await spawnNode({ args }))
    }
    out(`demo: ${vehicles.length} vehicles started on network "${network}" (${useMdns ? 'mDNS' : 'bootstrap'}); Ctrl-C to stop${flags.duration != null ? `, or after ${flags.duration} s` : ''}`)

    const deadline = flags.duration != null ? Date.now() + flags.duration * 1000 : Infinity
    const done = new Promise<void>((resolve) => {
      const finish = (): void => { state.stopping = true; resolve() }
      process.once('SIGINT', finish)
      process.once('SIGTERM', finish)
      if (Number.isFinite(deadline)) setTimeout(finish, deadline - Date.now()).unref()
    })
    const tty = process.stdout.isTTY === true
    let last = ''
    while (!state.stopping) {
      const statuses = await Promise.all(vehicles.map(async (v, i) => await fetchStatus(`vehicle-${i + 1}`, v)))
      const table = renderTable(statuses)
      if (table !== last) {
        out(tty ? `\x1b[2J\x1b[H${table}` : table)
        last = table
      }
      await Promise.race([done, new Promise(resolve => setTimeout(resolve, 500))])
    }
    out('demo: stopping vehicles')
  } finally {
    await stopAll()
  }
  out('demo: stopped cleanly')
}
