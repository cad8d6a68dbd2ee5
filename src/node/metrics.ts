/**
 * Prometheus metrics of one node (prom-client), in a registry of its own:
 * several nodes in one process (tests, the library embedded) must not mix
 * their figures. Most counters follow the node's events (heartbeats, gossipsub's);
 * gauges, and the counts the peering and the handshake room keep (peers refused,
 * handshakes closed or forgotten, gossip dropped), are read from the node when
 * scraped, so an idle node pays nothing between scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { TypedEventEmitter } from 'main-event'
import type { VGuardNodeEvents } from './events.ts'
import type { ChainInfo, ChainStore } from '../storage/index.ts'
import type { ReplicaStatus } from './replica-types.ts'

/** What the metrics read from a node when scraped. */
export interface MetricsSource {
  events: TypedEventEmitter<VGuardNodeEvents>
  /** gossipsub, whose heartbeats are counted */
  pubsub: EventTarget
  self: string
  capacity: number
  /** Bytes free on the data dir's disk (Infinity: unknown). */
  diskFree: () => Promise<number>
  chains: ChainStore
  isStarted: () => boolean
  connectedPeers: () => number
  pendingReleases: () => number
  transfersInFlight: () => number
  consensus: () => ReplicaStatus[]
  sharedLeader: () => string | null
  /** Whether the last retention run found pins keeping the bytes above a bound. */
  retentionOverBound: () => boolean
  /** How many chains the last retention run could not prune (a record it could not read). */
  retentionFailedChains: () => number
  /** Our own chain's backups up to date as of its last round, and whether that is short of k (IdleRounds.status). */
  ownReplication: () => { fresh: number, shortOfK: boolean }
  /** Gossip dropped so far, by why. */
  gossipDropped: () => Record<string, number>
  /** Peers refused so far, by why (every one: the peer:rejected events are capped). */
  peersRejected: () => Record<string, number>
  /** Inbound handshakes waiting now (src/node/handshake-room.ts). */
  handshakesWaiting: () => number
  /** Inbound handshakes closed so far to make way for newer ones, by the limit that was full. */
  handshakesClosed: () => Record<string, number>
  /** Inbound handshakes let go unclosed, their end unheard (HandshakeRoom.forgotten). */
  handshakesForgotten: () => number
  /** Backup tables kept of chains this node holds nothing of, by kind (each kind has its cap: src/backup/store.ts). */
  tablesKept: () => { pointer: number, hint: number }
}

/**
 * Seconds: a commit takes milliseconds on a LAN; a write without a quorum
 * waits its timeout (10 s by default, up to MAX_WRITE_TIMEOUT: 120 s).
 */
const WRITE_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120]

type ChainRole = 'own' | 'shared' | 'backup'

/** The node's metrics; they follow its events for as long as it exists. */
export function createNodeMetrics (source: MetricsSource): Registry {
  const registry = new Registry()
  const roleOf = (chainId: string): ChainRole => chainId === source.self ? 'own' : chainId === 'shared' ? 'shared' : 'backup'

  const gauge = (name: string, help: string, value: () => number): Gauge => new Gauge({
    name,
    help,
    registers: [registry],
    collect () { this.set(value()) }
  })
  gauge('vguard_up', '1 while the node is started', () => source.isStarted() ? 1 : 0)
  gauge('vguard_peers_connected', 'Connected peers of this network (allowed members)', source.connectedPeers)
  gauge('vguard_retention_over_bound', '1 while pins (or the chains never pruned) keep the bytes above the capacity or the retention bound, as of the last retention run', () => source.retentionOverBound() ? 1 : 0)
  gauge('vguard_retention_failed_chains', 'Temporary chains retention could not prune (a block record it could not read, say) and left as they were, from the run that found one, periodic or for room, until a run prunes it or the copy is taken again; the log names each', source.retentionFailedChains)
  // a scrape collects every metric at once: the chain gauges share one read of the chain list
  let reading: Promise<ChainInfo[]> | undefined
  const held = async (): Promise<ChainInfo[]> => {
    if (reading == null) {
      const read = reading = source.chains.chains()
      const done = (): void => { if (reading === read) reading = undefined }
      read.then(done, done)
    }
    return await reading
  }
  const perChain = (name: string, help: string, value: (c: ChainInfo) => number): Gauge => new Gauge({
    name,
    help,
    labelNames: ['chain', 'role'],
    registers: [registry],
    async collect () {
      const chains = await held()
      this.reset()
      for (const c of chains) this.set({ chain: c.chainId, role: roleOf(c.chainId) }, value(c))
    }
  })
  const total = (name: string, help: string, counts: (chainId: string) => boolean): Gauge => new Gauge({
    name,
    help,
    registers: [registry],
    async collect () {
      const chains = await held()
      this.set(chains.reduce((n, c) => counts(c.chainId) ? n + c.bytes : n, 0))
    }
  })
  perChain('vguard_chain_height', 'Height of each chain this node holds', c => c.height)
  perChain('vguard_chain_bytes', 'Bytes of each chain this node holds', c => c.bytes)
  total('vguard_storage_used_bytes', 'Bytes of all chains this node holds', () => true)
  total('vguard_storage_held_for_others_bytes', 'Bytes of copies of other vehicles\' chains', id => roleOf(id) === 'backup')
  gauge('vguard_storage_capacity_bytes', 'Configured storage capacity', () => source.capacity)
  registry.registerMetric(new Gauge({
    name: 'vguard_storage_disk_free_bytes',
    help: 'Bytes free on the data dir\'s disk; backup duty stops when only the disk reserve is left',
    registers: [],
    async collect () {
      // unknown (statfs failed): NaN, as /status says null; the last figure went on, or 0 (a full disk) if none (a review)
      const free = await source.diskFree()
      this.set(Number.isFinite(free) ? free : Number.NaN)
    }
  }))
  gauge('vguard_replication_transfers', 'Replication transfers to backups in flight', source.transfersInFlight)
  gauge('vguard_own_chain_fresh_backups', 'Backups holding this vehicle\'s own chain up to its tip as of its last replication round, less those taken for gone since', () => source.ownReplication().fresh)
  gauge('vguard_own_chain_short_of_k', '1 while fewer than k backups hold this vehicle\'s own chain up to date (a round without a write makes it up once a member can take it)', () => source.ownReplication().shortOfK ? 1 : 0)
  gauge('vguard_releases_pending', 'Release orders not yet confirmed by their obsolete backup', source.pendingReleases)
  registry.registerMetric(new Gauge({
    name: 'vguard_consensus_decided_slot',
    help: 'Last decided slot of this node\'s own chain and of the shared chain',
    labelNames: ['role'],
    registers: [],
    collect () {
      this.reset()
      for (const r of source.consensus()) if (r.kind !== 'member') this.set({ role: r.kind }, r.decided)
    }
  }))
  /** A sum over the replicas by kind (all kinds always present, 0 included) of what `value` gives each. */
  const perKind = (name: string, help: string, value: (r: ReplicaStatus) => number): void => {
    registry.registerMetric(new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers: [],
      collect () {
        const n = { own: 0, member: 0, shared: 0 }
        for (const r of source.consensus()) n[r.kind] += value(r)
        for (const [kind, sum] of Object.entries(n)) this.set({ kind }, sum)
      }
    }))
  }
  perKind('vguard_consensus_replicas', 'Chains this node runs consensus for: own, shared, and as a booth member of other vehicles\' chains', () => 1)
  perKind('vguard_consensus_failed_replicas', 'Chains whose consensus stopped because a save failed (a full disk, say): they take nothing until the node restarts', r => r.failed != null ? 1 : 0)
  perKind('vguard_consensus_log_value_bytes', 'Bytes of decided values the consensus logs hold in memory until compacted, by kind of chain', r => r.valueBytes)
  perKind('vguard_consensus_undecided_bytes', 'Bytes of values accepted and not yet decided, by kind of chain (member: bounded together by --member-undecided-bytes)', r => r.undecidedBytes)
  gauge('vguard_shared_leader', '1 while this node leads the shared chain', () => source.sharedLeader() === source.self ? 1 : 0)

  registry.registerMetric(new Gauge({
    name: 'vguard_backup_tables_kept',
    help: 'Backup tables kept of chains this node holds nothing of: pointer (released here, a forward pointer for readers; --max-forward-pointers at most, 4,096 by default) or hint (heard by gossip or in a read; --max-table-hints at most, 1,024 by default)',
    labelNames: ['kind'],
    registers: [],
    collect () {
      const kept = source.tablesKept()
      this.set({ kind: 'pointer' }, kept.pointer)
      this.set({ kind: 'hint' }, kept.hint)
    }
  }))

  const blocks = new Counter({ name: 'vguard_blocks_committed_total', help: 'Blocks committed and applied to this node\'s own chain and to the shared chain', labelNames: ['role'], registers: [registry] })
  const transactions = new Counter({ name: 'vguard_transactions_committed_total', help: 'Transactions in those blocks', labelNames: ['role'], registers: [registry] })
  const writes = new Counter({ name: 'vguard_writes_total', help: 'Writes through this node (append, put, delete; HTTP and library) by outcome: ok or the error\'s name', labelNames: ['outcome'], registers: [registry] })
  const writeSeconds = new Histogram({ name: 'vguard_write_duration_seconds', help: 'From a write\'s call to its commit (or failure)', labelNames: ['outcome'], buckets: WRITE_BUCKETS, registers: [registry] })
  const replicated = new Counter({ name: 'vguard_replicated_bytes_total', help: 'Bytes of blocks sent to backups, also by transfers that failed', registers: [registry] })
  const transfers = new Counter({ name: 'vguard_replication_transfers_total', help: 'Replication transfers to backups by outcome: ok or the error\'s name', labelNames: ['outcome'], registers: [registry] })
  const tables = new Counter({ name: 'vguard_backup_tables_total', help: 'Backup tables made here or adopted (gossip, redirect, release)', registers: [registry] })
  const pruned = new Counter({ name: 'vguard_retention_pruned_bytes_total', help: 'Payload bytes of temporary chains retention pruned, by reason: policy (τ, the size bound, the capacity) or room (made for an incoming backup copy)', labelNames: ['reason'], registers: [registry] })
  const released = new Counter({ name: 'vguard_backup_releases_total', help: 'Copies of other vehicles\' chains this node deleted on a verified release', registers: [registry] })
  // read from the peering, not counted from peer:rejected: those are said 10 a minute at most (a review)
  registry.registerMetric(new Counter({
    name: 'vguard_peers_rejected_total',
    help: 'Peers refused, by why',
    labelNames: ['code'],
    registers: [],
    collect () {
      this.reset()
      for (const [code, count] of Object.entries(source.peersRejected())) this.inc({ code }, count)
    }
  }))
  gauge('vguard_handshakes_waiting', 'Inbound connections accepted and not yet through their Noise and yamux handshake', source.handshakesWaiting)
  // read from the room when scraped, as the rejections above
  registry.registerMetric(new Counter({
    name: 'vguard_handshakes_closed_total',
    help: 'Inbound handshakes closed unfinished to make way for newer ones, by the limit that was full (host: per remote address, total: all)',
    labelNames: ['limit'],
    registers: [],
    collect () {
      this.reset()
      for (const [limit, count] of Object.entries(source.handshakesClosed())) this.inc({ limit }, count)
    }
  }))
  registry.registerMetric(new Counter({
    name: 'vguard_handshakes_forgotten_total',
    help: 'Inbound handshakes let go unclosed after 15 s because neither their upgrade nor their close was heard (0 on a sound libp2p)',
    registers: [],
    collect () {
      this.reset()
      this.inc(source.handshakesForgotten())
    }
  }))
  // gossipsub runs one a second: a rate below that is an event loop too busy to keep gossip
  // moving, and a message stops being offered to newcomers after a count of them (not seconds)
  const heartbeats = new Counter({ name: 'vguard_gossip_heartbeats_total', help: 'gossipsub heartbeats run (one a second on a node that keeps up)', registers: [registry] })
  source.pubsub.addEventListener('gossipsub:heartbeat', () => { heartbeats.inc() })
  registry.registerMetric(new Counter({
    name: 'vguard_gossip_dropped_total',
    help: 'Gossip dropped, by why: outside (relayed or first sent by a peer that is no member), malformed-view or view-from-outside (peer views), invalid-table (a booth result malformed, oversized, or whose table does not verify)',
    labelNames: ['reason'],
    registers: [],
    collect () {
      this.reset()
      for (const [reason, count] of Object.entries(source.gossipDropped())) this.inc({ reason }, count)
    }
  }))
  // every label is pre-set to 0, so a rate() sees the series before its first event
  for (const role of ['own', 'shared']) {
    blocks.inc({ role }, 0)
    transactions.inc({ role }, 0)
  }
  writes.inc({ outcome: 'ok' }, 0)
  for (const reason of ['policy', 'room']) pruned.inc({ reason }, 0)

  const listeners: { [E in keyof VGuardNodeEvents]?: (evt: VGuardNodeEvents[E]) => void } = {
    'chain:committed': (evt) => {
      blocks.inc({ role: evt.detail.role }, evt.detail.blocks)
      transactions.inc({ role: evt.detail.role }, evt.detail.transactions)
    },
    'write:settled': (evt) => {
      const outcome = evt.detail.error ?? 'ok'
      writes.inc({ outcome })
      writeSeconds.observe({ outcome }, evt.detail.durationMs / 1000)
    },
    'replicate:finished': (evt) => {
      replicated.inc(evt.detail.sentBytes)
      transfers.inc({ outcome: evt.detail.error ?? 'ok' })
    },
    'backup:table': () => { tables.inc() },
    'backup:released': () => { released.inc() },
    'storage:pruned': (evt) => { pruned.inc({ reason: evt.detail.reason }, evt.detail.freedBytes) }
  }
  for (const [type, listener] of Object.entries(listeners) as Array<[keyof VGuardNodeEvents, (evt: Event) => void]>) {
    source.events.addEventListener(type, listener)
  }
  return registry
}
