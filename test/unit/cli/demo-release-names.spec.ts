/**
 * The demo's note on a vehicle's first release names the released vehicles.
 * runStory (demo.ts) passes endBooth the vehicles still driving, which were
 * also the list the names were looked up in: a release of the vehicle that
 * left (it stays a backup of others until their next booths) printed its peer
 * id's last six characters instead of its name, as seen in a real
 * `npm run demo` (a review):
 *   "vehicle-2: backups now vehicle-1, vehicle-4; told MoRjut to release its copy"
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { endBooth } from '../../../src/cli/demo-story.ts'
import type { Vehicle } from '../../../src/cli/demo-story.ts'
import type { NodeProcess } from '../../../src/swarm/process.ts'

const servers: Server[] = []
afterEach(() => { for (const s of servers.splice(0)) s.close() })

function vehicle (name: string, peerId: string, httpUrl = 'http://127.0.0.1:1'): Vehicle {
  const process = { peerId, httpUrl, addresses: [], output: [], child: { exitCode: null, signalCode: null }, exited: new Promise(() => {}), stop: async () => 0 } as unknown as NodeProcess
  return { name, process, next: 0 }
}

describe('cli - demo: names in the release note', () => {
  it('a release of the vehicle that left is told by its name, not by its peer id', async () => {
    const ids = ['12D3KooWAAAAAAAAAAAAvehic1', '12D3KooWBBBBBBBBBBBBvehic2', '12D3KooWCCCCCCCCCCCCMoRjut', '12D3KooWDDDDDDDDDDDDvehic4']
    // vehicle-2's node: its booth's answer releases vehicle-3, which left the demo earlier
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ epoch: 7, active: [ids[0], ids[3]], obsolete: [ids[2]], complete: true }))
      })
    })
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    const vehicles = [vehicle('vehicle-1', ids[0]), vehicle('vehicle-2', ids[1], url), vehicle('vehicle-3', ids[2]), vehicle('vehicle-4', ids[3])]
    const left = vehicles[2]
    // as runStory calls it: the vehicles still driving, then every vehicle for the names
    const note = await endBooth(vehicles[1], vehicles.filter(o => o !== left), () => 0.5, vehicles)
    expect(note).toContain('backups now vehicle-1, vehicle-4')
    expect(note).not.toContain('MoRjut')
    expect(note).toContain('told vehicle-3 to release')
  })
})
