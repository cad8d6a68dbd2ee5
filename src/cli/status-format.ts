/**
 * `vguard-node status` for a person: the node, its peers and storage, then
 * one row per chain it holds. Peer ids in lists are shortened to their last
 * six characters (as in the demo's table); `--json` has them whole.
 */
import type { StatusBody, ChainStatus } from '../http/status.ts'
import { formatColumns } from './columns.ts'
import type { Column } from './columns.ts'
import { escapeControls } from '../text/peer-text.ts'

const short = (id: string): string => `…${id.slice(-6)}`

export function formatBytes (bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  // as shown, not as held: 1 GiB less 1.5 KiB is 1.0 GiB, not 1024.0 MiB
  while (Number(value.toFixed(1)) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

const CHAIN_COLUMNS: Column[] = [
  { title: 'chain' },
  { title: 'role' },
  { title: 'height', align: 'right' },
  { title: 'bytes', align: 'right' },
  { title: 'epoch', align: 'right' },
  { title: 'backups' },
  { title: 'leader' }
]

const sameList = (a: string[], b: string[]): boolean => a.length === b.length && a.every(x => b.includes(x))

/**
 * `text` with every control character written as an escape (\u001b): what
 * peers chose (a backup table's names, signed by another vehicle, are any
 * strings) went raw to the terminal, and ESC[8m hid every row after it (a
 * review). The rules of every place that shows a peer's text (escapeControls,
 * src/text: also U+2028/2029 and the bidi controls, until 2026-12-03 written
 * raw here); nothing is cut, /status is this node's own answer.
 */
export function visible (text: string): string {
  return escapeControls(text)
}

export function formatStatus (status: StatusBody): string[] {
  // every string of it, before any width is measured
  const s = JSON.parse(JSON.stringify(status), (_key, value: unknown) => typeof value === 'string' ? visible(value) : value) as StatusBody
  const who = (id: string | null): string => id == null ? '-' : id === s.peerId ? 'this node' : short(id)
  const lines = [
    `peer id    ${s.peerId}`,
    `network    ${s.network}`,
    ...s.addresses.map((a, i) => `${i === 0 ? 'addresses' : '         '}  ${a}`),
    // with --announce, peers are given other addresses than those it listens on
    ...(sameList(s.listening, s.addresses) ? [] : s.listening.map((a, i) => `${i === 0 ? 'listening' : '         '}  ${a}`)),
    `peers      ${s.peers.length} connected${s.peers.length > 0 ? `: ${s.peers.map(p => short(p.peerId)).join(', ')}` : ''}`,
    `storage    ${formatBytes(s.storage.used)} used of ${formatBytes(s.storage.capacity)}, ${formatBytes(s.storage.heldForOthers)} of it held for others, ${formatBytes(s.storage.free)} free${s.storage.consensusLog > 0 ? `; consensus log ${formatBytes(s.storage.consensusLog)}` : ''}${s.storage.diskFree == null ? '' : `; disk ${formatBytes(s.storage.diskFree)} free`}${s.storage.overBound ? '; what retention keeps (pins, its own and the shared chain) holds it above its bound' : ''}`,
    // the disk below its reserve: copies of other chains stop, and our own writes are next
    ...(s.storage.diskFree != null && s.storage.diskFree <= s.storage.diskReserve ? [`           disk full: ${formatBytes(s.storage.diskFree)} free, the reserve is ${formatBytes(s.storage.diskReserve)}`] : []),
    `shared     ${s.shared.leader == null ? 'no leader known' : `leader ${who(s.shared.leader)}`}`
  ]
  // two shared chains in one network: the operator must see it without --json
  if (s.shared.conflicts.length > 0) lines.push(`           ${s.shared.conflicts.length} connected ${s.shared.conflicts.length === 1 ? 'peer runs' : 'peers run'} another shared chain: ${s.shared.conflicts.map(short).join(', ')}`)
  // a node of an earlier version sends none
  const heldBack: unknown = s.shared.heldBack
  if (Array.isArray(heldBack) && heldBack.length > 0) {
    lines.push(`           votes held back (lost ${heldBack.length === 1 ? 'its database' : 'their databases'}): ${heldBack.map(id => short(String(id))).join(', ')}`)
  }
  // a replica whose state could not be saved takes no write until a restart: every write to it is a 503
  for (const c of s.consensus ?? []) {
    if (typeof c.failed === 'string') lines.push(`consensus  STOPPED on ${c.chainId === s.peerId ? 'its own chain' : c.chainId === 'shared' ? 'the shared chain' : short(c.chainId)}: ${c.failed} (restart the node once that is fixed)`)
  }
  // a node of an earlier version sends none
  const cloned: unknown = s.clonedPeers
  if (Array.isArray(cloned) && cloned.length > 0) {
    lines.push(`clones     two processes run the identity of ${cloned.map(id => short(String(id))).join(', ')} (a data dir copied with its peer.key?): no member here until one of them stops`)
  }
  const seenBy: unknown = s.identityClonedSeenBy
  if (Array.isArray(seenBy) && seenBy.length > 0) {
    lines.push(`identity   ${seenBy.map(id => short(String(id))).join(', ')} ${seenBy.length === 1 ? 'says' : 'say'} two processes run this vehicle's identity (its data dir copied with peer.key?): stop one of them; members count neither until then`)
  }
  // a node of an earlier version sends none
  if (typeof s.ownChainLost === 'string') lines.push(`own chain  lost its database: its writes wait until a vehicle holding the chain hands it back (${s.ownChainLost})`)
  const own = s.chains.find(c => c.id === s.peerId)?.replication
  // a node of an earlier version sends none
  if (own != null && typeof own === 'object') lines.push(...ownBackupsLines(own, who))
  if (s.transfers.length > 0) lines.push(`replicating ${s.transfers.map(t => `${short(t.chainId)} to ${short(t.peer)} (${t.height}/${t.target})`).join(', ')}`)
  if (s.pendingReleases.length > 0) lines.push(`releases   ${s.pendingReleases.length} waiting to be confirmed`)
  // chains[] lists the chains stored here, its own from its first block on: it is held from the start, at height 0
  // (it said "no chains held yet", a probe, 2026-12-03)
  if (s.chains.length === 0) return [...lines, '', 'no chain has a block here yet (its own chain is at height 0)']
  const rows = s.chains.map(c => [
    c.id,
    // a copy retention prunes, or keeps whole only for the unclaimed grace, is no active backup's
    c.heldAs != null && c.heldAs !== 'active' ? `${c.role} (${c.heldAs})` : c.role,
    String(c.height),
    formatBytes(c.bytes),
    c.backupTable == null ? '-' : String(c.backupTable.epoch),
    backupsCell(c.backupTable, who),
    who(c.leader)
  ])
  return [...lines, '', ...formatColumns(CHAIN_COLUMNS, rows)]
}

/**
 * The backups a chain's table names; when its round refreshed none, how far
 * they hold it (a node of an earlier version sends no heldHeight).
 */
function backupsCell (table: { active: string[], height: number, heldHeight?: number } | null, who: (id: string | null) => string): string {
  if (table == null || table.active.length === 0) return '-'
  const names = table.active.map(who).join(', ')
  return typeof table.heldHeight === 'number' && table.heldHeight < table.height ? `${names} (hold ${table.heldHeight})` : names
}

const seconds = (ms: number): string => ms < 60_000 ? `${Math.ceil(ms / 1000)} s` : `${Math.ceil(ms / 60_000)} min`

/**
 * Our own chain on fewer than k fresh copies, or a backup of it away: said
 * without --json, since the table's backups column names the table's backups
 * whether or not they are up to date or connected. Nothing when all is well.
 */
function ownBackupsLines (r: NonNullable<ChainStatus['replication']>, who: (id: string | null) => string): string[] {
  const away = r.away.map(a => `${who(a.peerId)} (${a.goneInMs == null ? 'kept: --backup-away 0' : `replaced in ${seconds(a.goneInMs)} unless it returns`})`).join(', ')
  if (!r.shortOfK) return away === '' ? [] : [`backups    away: ${away}`]
  const fresh = r.fresh.length > 0 ? ` (${r.fresh.map(who).join(', ')})` : ''
  return [
    `backups    own chain on ${r.fresh.length} of ${r.k} up-to-date backups${fresh}: a round makes up the rest once a connected member can take it`,
    ...(away === '' ? [] : [`           away: ${away}`]),
    // members a round does not count on yet: while the chain is not short, nobody waits for them
    ...(r.paused.length === 0 ? [] : [`           failed lately: ${r.paused.map(p => `${who(p.peerId)} (tried again in ${seconds(p.retryInMs)})`).join(', ')}`])
  ]
}
