/**
 * `vguard-node status` as a person reads it: the node's lines, then a row per
 * chain with its role, height, bytes, backup epoch, active backups and leader;
 * this node named as such, others by the end of their peer id.
 */
import { describe, it, expect } from 'vitest'
import { formatBytes, formatStatus, visible } from '../../../src/cli/status-format.ts'
import { escapeControls } from '../../../src/text/peer-text.ts'
import type { StatusBody, ChainStatus } from '../../../src/http/status.ts'

const SELF = '12D3KooWSelfSelfSelfSelfSelfSelfSelfSelfSelfSe1f001'
const B = '12D3KooWBeeBeeBeeBeeBeeBeeBeeBeeBeeBeeBeeBeeBee0b02'
const C = '12D3KooWSeeSeeSeeSeeSeeSeeSeeSeeSeeSeeSeeSeeSee0c03'

function chain (c: Partial<ChainStatus> & Pick<ChainStatus, 'id' | 'role'>): ChainStatus {
  return { height: 0, tipHash: '', bytes: 0, backupTable: null, heldAsBackup: false, heldHeight: 0, heldAs: null, booth: null, ballot: null, leader: null, decided: null, replication: null, ...c }
}

function status (s: Partial<StatusBody> = {}): StatusBody {
  return {
    peerId: SELF,
    addresses: ['/ip4/10.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4001'],
    listening: ['/ip4/127.0.0.1/tcp/4001', '/ip4/10.0.0.1/tcp/4001'],
    network: 'fleet',
    peers: [{ peerId: B, addresses: [] }, { peerId: C, addresses: [] }],
    chains: [],
    backupTables: [],
    backupTableCaps: { pointers: 4096, hints: 1024 },
    storage: { capacity: 1024 ** 3, used: 1536, free: 1024 ** 3 - 1536, heldForOthers: 512, diskFree: 10 * 1024 ** 3, diskReserve: 64 * 1024 ** 2, retention: 86_400_000, retentionBytes: 1024 ** 3, unclaimedGrace: 86_400_000, overBound: false, consensusLog: 0 },
    transfers: [],
    pendingReleases: [],
    consensus: [],
    shared: { founder: SELF, members: null, leader: B, candidates: null, conflicts: [], heldBack: [] },
    ownChainLost: null,
    clonedPeers: [],
    identityClonedSeenBy: [],
    ...s
  }
}

describe('cli - status for a person', () => {
  it('formats bytes in binary units with one decimal', () => {
    expect([0, 1023, 1024, 1536, 64 * 1024 ** 2, 1024 ** 3, 1024 ** 3 - 1536, 2 ** 50].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '64.0 MiB', '1.0 GiB', '1.0 GiB', '1024.0 TiB'])
  })

  it('a node with no block in any chain says its own chain is at height 0 (held from the start: "no chains held yet" was untrue)', () => {
    expect(formatStatus(status())).toEqual([
      `peer id    ${SELF}`,
      'network    fleet',
      'addresses  /ip4/10.0.0.1/tcp/4001',
      '           /ip4/127.0.0.1/tcp/4001',
      'peers      2 connected: …ee0b02, …ee0c03',
      'storage    1.5 KiB used of 1.0 GiB, 512 B of it held for others, 1.0 GiB free; disk 10.0 GiB free',
      'shared     leader …ee0b02',
      '',
      'no chain has a block here yet (its own chain is at height 0)'
    ])
  })

  it('names the bytes the consensus log takes on disk beside the chains (a crash probe found members holding as much again as the chain)', () => {
    const base = status()
    const [line] = formatStatus({ ...base, storage: { ...base.storage, consensusLog: 58 * 1024 ** 2 } }).filter(l => l.startsWith('storage'))
    expect(line).toBe('storage    1.5 KiB used of 1.0 GiB, 512 B of it held for others, 1.0 GiB free; consensus log 58.0 MiB; disk 10.0 GiB free')
  })

  it('says when consensus stopped on a chain, and when the disk is down to its reserve (every write a 503, the status otherwise healthy)', () => {
    const base = status()
    const lines = formatStatus({
      ...base,
      storage: { ...base.storage, free: 0, diskFree: 0 },
      consensus: [{ chainId: SELF, failed: 'no space left for segment 3' }, { chainId: 'shared' }] as unknown as StatusBody['consensus']
    })
    expect(lines).toContain('storage    1.5 KiB used of 1.0 GiB, 512 B of it held for others, 0 B free; disk 0 B free')
    expect(lines).toContain('           disk full: 0 B free, the reserve is 64.0 MiB')
    expect(lines).toContain('consensus  STOPPED on its own chain: no space left for segment 3 (restart the node once that is fixed)')
    expect(lines.filter(l => l.includes('STOPPED'))).toHaveLength(1)
  })

  it('names the connected peers that run another shared chain', () => {
    const base = status()
    const lines = formatStatus({ ...base, shared: { ...base.shared, conflicts: [B, C] } })
    expect(lines[lines.indexOf('shared     leader …ee0b02') + 1]).toBe('           2 connected peers run another shared chain: …ee0b02, …ee0c03')
  })

  it('names the members whose shared-chain votes are held back: a leaderless chain says whom it waits for', () => {
    const base = status()
    const lines = formatStatus({ ...base, shared: { ...base.shared, leader: null, heldBack: [C] } })
    expect(lines[lines.indexOf('shared     no leader known') + 1]).toBe('           votes held back (lost its database): …ee0c03')
    // a node of an earlier version sends no heldBack
    const older = { ...base, shared: { founder: SELF, members: null, leader: B, candidates: null, conflicts: [] } } as unknown as Parameters<typeof formatStatus>[0]
    expect(formatStatus(older).some(l => l.includes('held back'))).toBe(false)
  })

  it('says when its own chain waits for its holders after its database was lost', () => {
    const lines = formatStatus(status({ ownChainLost: '/data/own-chain.json says database aa wrote its chain' }))
    expect(lines[lines.indexOf('shared     leader …ee0b02') + 1]).toBe('own chain  lost its database: its writes wait until a vehicle holding the chain hands it back (/data/own-chain.json says database aa wrote its chain)')
    expect(formatStatus(status()).some(l => l.startsWith('own chain'))).toBe(false)
  })

  it('says when its own chain is on fewer than k up-to-date backups, who is away and who failed lately; nothing when all is well', () => {
    const own = (replication: ChainStatus['replication']): StatusBody => status({ chains: [chain({ id: SELF, role: 'own', height: 3, replication })] })
    const short = formatStatus(own({ k: 2, fresh: [B], shortOfK: true, away: [{ peerId: C, goneInMs: 42_300 }], paused: [{ peerId: C, retryInMs: 90_000 }] }))
    expect(short.slice(short.indexOf('shared     leader …ee0b02') + 1, -3)).toEqual([
      'backups    own chain on 1 of 2 up-to-date backups (…ee0b02): a round makes up the rest once a connected member can take it',
      '           away: …ee0c03 (replaced in 43 s unless it returns)',
      '           failed lately: …ee0c03 (tried again in 2 min)'
    ])
    // not short, a backup away (a restart, so far): one line; all well: none
    expect(formatStatus(own({ k: 2, fresh: [B, C], shortOfK: false, away: [{ peerId: C, goneInMs: 5_000 }], paused: [] })).filter(l => l.includes('away'))).toEqual(['backups    away: …ee0c03 (replaced in 5 s unless it returns)'])
    for (const all of [own({ k: 2, fresh: [B, C], shortOfK: false, away: [], paused: [{ peerId: C, retryInMs: 1_000 }] }), own(null)]) {
      expect(formatStatus(all).some(l => l.startsWith('backups'))).toBe(false)
    }
  })

  it('says which peers two processes run the identity of, and nothing for a node that sends none', () => {
    const lines = formatStatus(status({ clonedPeers: [B] }))
    expect(lines).toContain('clones     two processes run the identity of …ee0b02 (a data dir copied with its peer.key?): no member here until one of them stops')
    const { clonedPeers: _, ...older } = status()
    expect(formatStatus(older as StatusBody).some(l => l.startsWith('clones'))).toBe(false)
    expect(formatStatus(status({ identityClonedSeenBy: [B, C] }))).toContain('identity   …ee0b02, …ee0c03 say two processes run this vehicle\'s identity (its data dir copied with peer.key?): stop one of them; members count neither until then')
  })

  it('says when pins keep storage above its bound', () => {
    const base = status()
    expect(formatStatus({ ...base, storage: { ...base.storage, overBound: true } }).find(l => l.startsWith('storage'))).toBe('storage    1.5 KiB used of 1.0 GiB, 512 B of it held for others, 1.0 GiB free; disk 10.0 GiB free; what retention keeps (pins, its own and the shared chain) holds it above its bound')
  })

  it('with announced addresses, also the ones it listens on', () => {
    const lines = formatStatus(status({ addresses: ['/ip4/192.0.2.7/tcp/5555'], listening: ['/ip4/10.0.0.1/tcp/4001'] }))
    expect(lines.slice(2, 4)).toEqual([
      'addresses  /ip4/192.0.2.7/tcp/5555',
      'listening  /ip4/10.0.0.1/tcp/4001'
    ])
  })

  it('a row per chain: its backups and leader, this node by name; transfers and releases in progress', () => {
    const lines = formatStatus(status({
      chains: [
        chain({ id: SELF, role: 'own', height: 12, bytes: 4096, backupTable: { epoch: 3, active: [B, C], obsolete: [], height: 12, heldHeight: 12 }, leader: SELF }),
        chain({ id: 'shared', role: 'shared', height: 7, bytes: 700, leader: B }),
        chain({ id: C, role: 'backup', height: 5, bytes: 512, backupTable: { epoch: 2, active: [SELF, B], obsolete: [], height: 5, heldHeight: 5 }, heldAs: 'active' }),
        // a copy retention may prune says so (it read as an active backup's)
        chain({ id: B, role: 'backup', height: 3, bytes: 300, backupTable: { epoch: 4, active: [C], obsolete: [SELF], height: 3, heldHeight: 1 }, heldAs: 'temporary' })
      ],
      transfers: [{ chainId: SELF, peer: C, height: 10, target: 12, sentBytes: 100 }],
      pendingReleases: [{ chainId: SELF, peerId: B, attempts: 2, offline: true }],
      shared: { founder: SELF, members: null, leader: SELF, candidates: null, conflicts: [], heldBack: [] }
    }))
    expect(lines.slice(6, 10)).toEqual([
      'shared     leader this node',
      'replicating …e1f001 to …ee0c03 (10/12)',
      'releases   1 waiting to be confirmed',
      ''
    ])
    expect(lines.slice(10)).toEqual([
      `chain${' '.repeat(SELF.length - 5)}  role                height    bytes  epoch  backups             leader`,
      `${SELF}  own                     12  4.0 KiB      3  …ee0b02, …ee0c03    this node`,
      `shared${' '.repeat(SELF.length - 6)}  shared                   7    700 B      -  -                   …ee0b02`,
      `${C}  backup                   5    512 B      2  this node, …ee0b02  -`,
      `${B}  backup (temporary)       3    300 B      4  …ee0c03 (hold 1)    -`
    ])
  })
  it('writes no control character a peer chose to the terminal: a backup table (signed by another vehicle) may name any string', () => {
    const table = { epoch: 1, active: ['xx\u001b[8m'], obsolete: [], height: 3, heldHeight: 3 }
    const lines = formatStatus(status({ chains: [chain({ id: B, role: 'backup', height: 3, backupTable: table }), chain({ id: C, role: 'backup', height: 3 })] }))
    // eslint-disable-next-line no-control-regex
    expect(lines.filter(l => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(l))).toEqual([])
    // ESC[8m hid every row after it: each shows, the escape written out (its last six characters, as every id)
    expect(lines.join('\n')).toContain('…01b[8m')
    expect(lines.some(l => l.startsWith(C))).toBe(true)
  })
  it('escapes what a peer\'s text is escaped for everywhere: line separators and bidi controls too, nothing cut', () => {
    // U+2028 broke the line in a terminal that honours it; U+202E reversed what followed it in the row
    const text = `a\u2028b\u2029c\u202eexe.gnp\u202c\u2066d\u2069\u200f\u061c\u0085\u001b[8m${'x'.repeat(5_000)}`
    expect(visible(text)).toBe(`a\\u2028b\\u2029c\\u202eexe.gnp\\u202c\\u2066d\\u2069\\u200f\\u061c\\u0085\\u001b[8m${'x'.repeat(5_000)}`)
    expect(visible(text)).toBe(escapeControls(text))
    const lines = formatStatus(status({ peerId: `${SELF}\u202e` }))
    expect(lines[0]).toBe(`peer id    ${SELF}\\u202e`)
  })
})
