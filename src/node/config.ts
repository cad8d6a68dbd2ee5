/**
 * Node configuration: the options a user may pass, their defaults, and the
 * checks that turn bad values into a typed error before anything starts.
 * Pure: no I/O, so the CLI and the library validate the same way.
 */
import { resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { DEFAULT_MAX_HINT_TABLES, DEFAULT_MAX_POINTER_TABLES } from '../backup/store.ts'

export const DEFAULT_NETWORK = 'vguard'
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']
export const DEFAULT_MDNS_INTERVAL = 5_000
export const DEFAULT_K_BACKUPS = 2
export const DEFAULT_BOOTH_SIZE = 4
/** 1 GiB: a vehicle's storage budget for its own chain plus backups it holds for others. */
export const DEFAULT_CAPACITY = 1024 * 1024 * 1024
/**
 * Disk space kept free for this vehicle's own chain, its consensus state and
 * LevelDB's compactions: copies of other vehicles' chains are refused
 * beyond it, whatever the capacity says.
 */
export const DEFAULT_DISK_RESERVE = 64 * 1024 * 1024
/**
 * The smallest disk reserve: LevelDB turns its log (up to two 4 MiB write
 * buffers) into a table when it opens, and a compaction writes its output
 * before it deletes its inputs (tens of MiB). With less room than that, a
 * copy of another vehicle's chain accepted up to the reserve filled a probe's
 * disk, stopped the vehicle's own chain, and kept the database from opening.
 */
export const MIN_DISK_RESERVE = 32 * 1024 * 1024
/** τ: payloads of temporary chains' blocks older than this are pruned (V-Guard keeps transactions 24 h). */
export const DEFAULT_RETENTION = 24 * 60 * 60 * 1000
/** How often the storage master applies the retention policy. */
export const DEFAULT_PRUNE_INTERVAL = 60_000
/**
 * The unclaimed grace at least, by default: a fresh backup's copy arrives
 * before the table that names it active, which follows the round's transfers
 * (each up to 5 min) and its signing. A grace of τ alone let a small τ (0 is
 * allowed) prune a copy during its own transfer: the owner counted a backup
 * that held headers only (found in review).
 */
export const MIN_DEFAULT_UNCLAIMED_GRACE = 15 * 60_000
/** τ at most: 10 years (ms). */
export const MAX_RETENTION = 10 * 365 * 24 * 3_600_000
/** The highest shared-chain priority. */
export const MAX_PRIORITY = 1_000_000
/** How often the node re-dials known network peers it has lost (restarts, new ports). */
export const DEFAULT_RECONNECT_INTERVAL = 2_000
/** Bully priority for the shared chain's leadership (higher leads first; ties: greater peer id). */
export const DEFAULT_PRIORITY = 0
/** How long a write may take to commit through consensus before it fails, in ms. */
export const DEFAULT_COMMIT_TIMEOUT = 10_000
/** Other vehicles' booths this node serves at once (each holds consensus state in memory and ticks). */
export const DEFAULT_MEMBER_CHAINS = 256
/** Bytes of undecided values all member chains together may hold (UndecidedBudget). */
export const DEFAULT_MEMBER_UNDECIDED_BYTES = 256 * 1024 * 1024
/** The longest --backup-away (7 days; a timer of Node's holds at most 24.8): a backup away longer is best left to the writes' rounds (0). */
export const MAX_BACKUP_AWAY = 7 * 24 * 3_600_000
/** How long (ms) a vehicle that left is remembered: as a booth's proposer (see memberIdle), as a shared-chain candidate. */
export const DEFAULT_MEMBER_IDLE = 60_000
/** Forward pointers kept by default (maxForwardPointers): the backup table store's own default, the reasons there. */
export const DEFAULT_MAX_FORWARD_POINTERS = DEFAULT_MAX_POINTER_TABLES
/** Hints kept by default (maxTableHints): the backup table store's own default. */
export const DEFAULT_MAX_TABLE_HINTS = DEFAULT_MAX_HINT_TABLES
/**
 * The most forward pointers or hints a node may be told to keep: every table
 * kept is held in memory too (up to about 1 KiB signed, more decoded), so a
 * million of them is a GiB or more, beyond any vehicle; more is a typo.
 */
export const MAX_KEPT_TABLES = 1_048_576

/** Nw: Paxos decides a slot once a majority of its booth accepted it. */
export function writeQuorumOf (boothSize: number): number {
  return Math.floor(boothSize / 2) + 1
}

/** Nr: the smallest read quorum with Nr + Nw > N (N = booth size), so every read quorum meets every write quorum. */
export function defaultReadQuorum (boothSize: number): number {
  return boothSize - writeQuorumOf(boothSize) + 1
}

export interface VGuardNodeOptions {
  /** Where the key and the database live. @default '~/.vguard-node' (chosen by the caller of resolveConfig) */
  dataDir: string
  /** libp2p listen addresses. @default ['/ip4/0.0.0.0/tcp/0'] */
  listen?: string[]
  /** Addresses to announce instead of the listen addresses (e.g. the LAN address). */
  announce?: string[]
  /** Network name: separates swarms sharing a LAN (mDNS tag, topics, identify). @default 'vguard' */
  network?: string
  /**
   * Peers to dial at start and keep dialing. With /p2p/<peer id> the peer is
   * authenticated; without it (e.g. /dns4/tasks.vehicle/tcp/4001 in a docker
   * swarm) the address is dialled while we have no peers, and peer exchange
   * does the rest. @default []
   */
  bootstrap?: string[]
  /** Discover peers with mDNS. @default true */
  mdns?: boolean
  /** mDNS query interval in ms. @default 5000 */
  mdnsInterval?: number
  /**
   * Number of backups a proposer keeps for its chain (k), chosen among a
   * booth's other members: our consensus's booths give at most boothSize − 1
   * (a larger k leaves every round partial, see backupsBeyondBooth), VGuard's
   * endOfBooth participants may give more. @default 2, or boothSize − 1 if less
   */
  kBackups?: number
  /** Booth size B including the proposer. @default 4 */
  boothSize?: number
  /** Storage capacity in bytes. @default 1 GiB */
  capacity?: number
  /**
   * Bytes of the data dir's disk kept free for this vehicle's own chain:
   * backup duty for others is refused once the disk has no more room than
   * this, even within the capacity. At least 32 MiB (MIN_DISK_RESERVE). @default 64 MiB
   */
  diskReserve?: number
  /** Retention time τ in ms for temporary chains (copies this node neither owns nor backs up). @default 86400000 (24 h) */
  retention?: number
  /** Size bound in bytes for temporary chains' payloads, pruned oldest first. @default the capacity */
  retentionBytes?: number
  /** How often the retention policy runs, in ms. @default 60000 */
  pruneInterval?: number
  /**
   * How long a copy nobody claims (no table names this node its active backup:
   * a fresh backup's table still on its way, a chain pushed unasked) is kept
   * whole before it counts as temporary, in ms. Below the time a replication
   * round takes, a fresh backup's copy can be pruned before its table comes.
   * @default the larger of retention and 15 min
   */
  unclaimedGrace?: number
  /** If set, only these peer ids may connect (permissioned network). @default undefined (any peer of the network) */
  allowedPeers?: string[]
  /** Re-dial interval for known peers that are disconnected, in ms. @default 2000 */
  reconnectInterval?: number
  /** Bully priority for leading the shared chain: higher campaigns first, ties go to the greater peer id. @default 0 */
  priority?: number
  /**
   * Nr: holders a `quorum` read asks and needs agreeing. Writes are decided
   * by Nw = a majority of the booth (N = boothSize); Nr + Nw must exceed N.
   * @default boothSize - Nw + 1 (2 for a booth of 4)
   */
  readQuorum?: number
  /** How long a write (append, put, delete) may take to commit, in ms; then NoQuorumError or CommitTimeoutError. @default 10000 */
  commitTimeout?: number
  /**
   * Other vehicles' chains this node takes part in as a booth member at once.
   * At the limit, a new vehicle's booth takes the place of the member
   * replica whose proposer has been silent longest (at least 4 s); when every
   * one is live, the new vehicle is refused. @default 256
   */
  memberChains?: number
  /**
   * Bytes of undecided values (accepted, not yet decided) this node holds
   * for all the booths it serves together, in memory and on disk. Past it,
   * each booth still gets what an honest vehicle has in flight at most (5
   * slots of the largest block, about 20 MiB), so a few vehicles that never
   * decide what they send cannot take every vote from the others; each
   * booth is bounded at 64 MiB besides. @default 268435456 (256 MiB)
   */
  memberUndecidedBytes?: number
  /**
   * How long a vehicle that left is remembered, in ms: a booth member whose
   * proposer has been silent this long forgets the decided values it kept
   * for laggards and leaves memory (what it promised and accepted for
   * undecided slots stays on disk), a vehicle disconnected this long
   * stops being a candidate to lead the shared chain, and (unless
   * backupAway says otherwise) a backup of our chain disconnected this long
   * is replaced (a round without a write).
   * @default 60000
   */
  memberIdle?: number
  /**
   * How long (ms) a backup of our own chain may stay disconnected before a
   * round without a write takes it for gone and sends the chain to another
   * member (the whole chain, for one that held none of it): longer for
   * vehicles that are often away a while and come back (parked overnight),
   * 0 to replace backups only on our writes. The chain stays on fewer than k
   * reachable copies meanwhile.
   * @default memberIdle
   */
  backupAway?: number
  /**
   * Forward pointers kept at most: the tables of chains this node was a
   * backup of and holds no copy of any more (released, or replaced), with
   * which it redirects readers to the chain's current backups. Past it, the
   * one adopted or followed by a reader longest ago is dropped (a reader sent
   * here for that chain then finds its backups through our neighbours). A real
   * fleet needs one per vehicle this node backed up at most; the cap is there
   * because on an open network anyone can make up keys, push us one-block
   * chains and release them. Tables of our own chain and of chains we hold a
   * copy of are never dropped, and do not count. At least 1 (a node that kept
   * none could not redirect a reader from the backup it just released).
   * @default 4096 (DEFAULT_MAX_FORWARD_POINTERS: more vehicles than any LAN's fleet, 1–4 MiB on disk and in memory)
   */
  maxForwardPointers?: number
  /**
   * Hints kept at most: the backup tables of other vehicles' chains this node
   * holds nothing of, heard by gossip or seen in a read's answer, which save
   * a reader a table lookup. Past it, the hint adopted longest ago is forgotten
   * (a reader then asks its neighbours for the table). At least 1.
   * @default 1024 (DEFAULT_MAX_TABLE_HINTS: a vehicle meets thousands of others over a week; 0.3–1 MiB)
   */
  maxTableHints?: number
}

export interface VGuardNodeConfig {
  dataDir: string
  listen: string[]
  announce: string[]
  network: string
  bootstrap: string[]
  mdns: boolean
  mdnsInterval: number
  kBackups: number
  boothSize: number
  capacity: number
  diskReserve: number
  retention: number
  retentionBytes: number
  pruneInterval: number
  unclaimedGrace: number
  allowedPeers?: string[]
  reconnectInterval: number
  priority: number
  readQuorum: number
  commitTimeout: number
  memberChains: number
  memberUndecidedBytes: number
  memberIdle: number
  backupAway: number
  maxForwardPointers: number
  maxTableHints: number
}

/** A configuration value is missing or malformed. */
export class ConfigError extends Error {
  static name = 'ConfigError'
  constructor (message = 'Invalid configuration') {
    super(message)
    this.name = 'ConfigError'
  }
}

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/

function checkMultiaddr (flag: string, value: string): void {
  let ma
  try {
    ma = multiaddr(value)
  } catch {
    throw new ConfigError(`${flag}: not a multiaddr: ${value}`)
  }
  const components = ma.getComponents()
  if (components.length === 0) throw new ConfigError(`${flag}: empty multiaddr`)
  // the multiaddr parser takes any text after /p2p/; libp2p's bootstrap threw on it once started
  // (a new key and database already made), and announced it as it was
  for (const { name, value: id } of components) {
    if (name !== 'p2p') continue
    if (flag === 'announce') throw new ConfigError(`announce: ${value}: leave out /p2p/ (the node adds its own peer id to what it announces)`)
    try {
      peerIdFromString(id ?? '')
    } catch {
      throw new ConfigError(`${flag}: ${value}: ${JSON.stringify(id ?? '')} is not a peer id`)
    }
  }
}

/**
 * A checked address with its /p2p/ peer id in the usual form (12D3KooW…), as
 * peers are compared: a bootstrap peer named by its CID (bafz…) was dialled by
 * an address libp2p dropped as naming "the wrong peer", and its hang-ups and
 * refusals went uncounted (a review). Other addresses are kept as given.
 */
function usualPeerIdForm (value: string): string {
  const components = multiaddr(value).getComponents()
  if (!components.some(c => c.name === 'p2p')) return value
  return multiaddr(components.map(c => c.name === 'p2p' ? { code: c.code, name: c.name, value: peerIdFromString(c.value ?? '').toString() } : c)).toString()
}

/** The node's one transport is TCP: an address of another (QUIC, WebSockets, bare IP) cannot be listened on. */
const TCP_LISTEN = /^\/ip[46]\/[^/]+\/tcp\/\d+$/

function checkListenAddress (value: string): void {
  checkMultiaddr('listen', value)
  const text = multiaddr(value).toString()
  if (!TCP_LISTEN.test(text)) throw new ConfigError(`listen: ${text} is not a TCP address to listen on (this node speaks TCP only): /ip4/HOST/tcp/PORT or /ip6/HOST/tcp/PORT`)
}

/**
 * A caller's value as an error message shows it: JSON where it has one (a
 * BigInt, a cycle or an object without a prototype has none, and the message
 * itself threw a TypeError).
 */
export function shownValue (value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    if (typeof value === 'bigint') return `${String(value)}n`
    return Array.isArray(value) ? `[${value.map(v => typeof v).join(', ')}]` : typeof value
  }
}

/** A value that should have been a number, shown with its type unless it is one ('2' shown as 2 read as if 2 itself were refused). */
export function shownNumber (value: unknown): string {
  return typeof value === 'number' ? String(value) : `${shownValue(value)} (${typeof value})`
}

function checkInteger (flag: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${flag}: must be an integer from ${min} to ${max}, got ${shownNumber(value)}`)
  }
}

/** Every option createVGuardNode takes: any other key is a typo (`mDNS: false` would leave mDNS on). */
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof VGuardNodeOptions>([
  'dataDir', 'listen', 'announce', 'network', 'bootstrap', 'mdns', 'mdnsInterval', 'kBackups', 'boothSize', 'capacity',
  'diskReserve', 'retention', 'retentionBytes', 'pruneInterval', 'unclaimedGrace', 'allowedPeers', 'reconnectInterval', 'priority',
  'readQuorum', 'commitTimeout', 'memberChains', 'memberUndecidedBytes', 'memberIdle', 'backupAway',
  'maxForwardPointers', 'maxTableHints'
])

/** What TypeScript checks for a typed caller, checked for a JavaScript one (or one that reads JSON). */
function checkShape (options: VGuardNodeOptions): void {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) throw new ConfigError('options: an object is required, at least { dataDir }')
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new ConfigError(`${key}: not an option (a typo?); the options are ${[...OPTION_NAMES].join(', ')}`)
    // null was the default for numbers and refused for mdns and network: one rule for all
    if ((options as unknown as Record<string, unknown>)[key] === null) throw new ConfigError(`${key}: null is no value; leave the option out (or undefined) for its default`)
  }
  for (const key of ['listen', 'announce', 'bootstrap', 'allowedPeers'] as const) {
    const value: unknown = options[key]
    if (value !== undefined && (!Array.isArray(value) || value.some(v => typeof v !== 'string'))) throw new ConfigError(`${key}: must be an array of strings, got ${shownValue(value)}`)
  }
  if (options.mdns !== undefined && typeof options.mdns !== 'boolean') throw new ConfigError(`mdns: must be true or false, got ${shownValue(options.mdns)}`)
  if (options.network !== undefined && typeof options.network !== 'string') throw new ConfigError(`network: must be a string, got ${shownValue(options.network)}`)
}

/**
 * The data dir as an absolute path: a caller's later chdir must not move the
 * node's files (or its disk checks). peerIdOf checks it the same way.
 *
 * @throws ConfigError for no dir or ''
 */
export function resolveDataDir (dataDir: unknown): string {
  if (dataDir == null || dataDir === '') throw new ConfigError('dataDir: required')
  if (typeof dataDir !== 'string') throw new ConfigError(`dataDir: must be a path (a string), got ${shownValue(dataDir)} (${typeof dataDir})`)
  // fs refuses a path with a NUL byte with a TypeError of its own
  if (dataDir.includes('\0')) throw new ConfigError(`dataDir: ${JSON.stringify(dataDir)} holds a NUL byte, which no path may`)
  // a shell expands ~ only at a word's start; from an env file or a unit it arrives as it is, and
  // would make a dir named '~' in the working directory with a new vehicle's identity in it
  if (/^~($|\/)/.test(dataDir)) throw new ConfigError(`dataDir: ${JSON.stringify(dataDir)} starts with '~', which no shell expanded here: give the path with the home directory written out`)
  const path = resolve(dataDir)
  // Node hands over a path's bytes that are not UTF-8 (an argument, the working directory) as U+FFFD: the
  // path it names is another dir, where a new vehicle's identity would be made next to the real one
  if (path.includes('\uFFFD')) throw new ConfigError(`dataDir: ${JSON.stringify(path)} has bytes that are not UTF-8 (shown as U+FFFD), in it or in the working directory: it would name another dir; rename it, or give a path without them`)
  return path
}

export function resolveConfig (options: VGuardNodeOptions): VGuardNodeConfig {
  checkShape(options)
  const config: VGuardNodeConfig = {
    dataDir: resolveDataDir(options.dataDir),
    listen: options.listen ?? DEFAULT_LISTEN,
    announce: options.announce ?? [],
    network: options.network ?? DEFAULT_NETWORK,
    bootstrap: options.bootstrap ?? [],
    mdns: options.mdns ?? true,
    mdnsInterval: options.mdnsInterval ?? DEFAULT_MDNS_INTERVAL,
    // by default no more backups than the booth has other members (a booth of 2 backs up to 1)
    kBackups: options.kBackups ?? Math.max(0, Math.min(DEFAULT_K_BACKUPS, (options.boothSize ?? DEFAULT_BOOTH_SIZE) - 1)),
    boothSize: options.boothSize ?? DEFAULT_BOOTH_SIZE,
    capacity: options.capacity ?? DEFAULT_CAPACITY,
    diskReserve: options.diskReserve ?? DEFAULT_DISK_RESERVE,
    retention: options.retention ?? DEFAULT_RETENTION,
    retentionBytes: options.retentionBytes ?? options.capacity ?? DEFAULT_CAPACITY,
    pruneInterval: options.pruneInterval ?? DEFAULT_PRUNE_INTERVAL,
    unclaimedGrace: options.unclaimedGrace ?? Math.max(options.retention ?? DEFAULT_RETENTION, MIN_DEFAULT_UNCLAIMED_GRACE),
    allowedPeers: options.allowedPeers,
    reconnectInterval: options.reconnectInterval ?? DEFAULT_RECONNECT_INTERVAL,
    priority: options.priority ?? DEFAULT_PRIORITY,
    readQuorum: options.readQuorum ?? defaultReadQuorum(options.boothSize ?? DEFAULT_BOOTH_SIZE),
    commitTimeout: options.commitTimeout ?? DEFAULT_COMMIT_TIMEOUT,
    memberChains: options.memberChains ?? DEFAULT_MEMBER_CHAINS,
    memberUndecidedBytes: options.memberUndecidedBytes ?? DEFAULT_MEMBER_UNDECIDED_BYTES,
    memberIdle: options.memberIdle ?? DEFAULT_MEMBER_IDLE,
    backupAway: options.backupAway ?? options.memberIdle ?? DEFAULT_MEMBER_IDLE,
    maxForwardPointers: options.maxForwardPointers ?? DEFAULT_MAX_FORWARD_POINTERS,
    maxTableHints: options.maxTableHints ?? DEFAULT_MAX_TABLE_HINTS
  }
  if (!NETWORK_NAME.test(config.network)) {
    throw new ConfigError(`network: 1-63 letters, digits, '.', '_' or '-', the first a letter or digit, got ${JSON.stringify(config.network)}`)
  }
  if (config.listen.length === 0) throw new ConfigError('listen: at least one address')
  config.listen.forEach(checkListenAddress)
  // one fixed port given twice made the node fail on its own second listener ('the address is in use');
  // port 0 twice asks for two ports, and gets them
  config.listen = config.listen.filter((a, i, all) => multiaddr(a).toString().endsWith('/tcp/0') || all.findIndex(b => multiaddr(b).equals(multiaddr(a))) === i)
  config.announce.forEach(a => { checkMultiaddr('announce', a) })
  config.bootstrap.forEach(a => { checkMultiaddr('bootstrap', a) })
  config.bootstrap = config.bootstrap.map(usualPeerIdForm)
  checkInteger('mdnsInterval', config.mdnsInterval, 100, 3_600_000)
  checkInteger('boothSize', config.boothSize, 1, 64)
  checkInteger('kBackups', config.kBackups, 0, 64)
  checkInteger('capacity', config.capacity, 0)
  if (!Number.isSafeInteger(config.diskReserve) || config.diskReserve < MIN_DISK_RESERVE) {
    throw new ConfigError(`diskReserve: must be an integer of at least ${MIN_DISK_RESERVE} (32 MiB: LevelDB's log and compactions need that room; with less, a copy of another vehicle's chain can fill the disk, stop this vehicle's own chain and keep its database from opening), got ${String(config.diskReserve)}`)
  }
  checkInteger('retention', config.retention, 0, MAX_RETENTION)
  checkInteger('retentionBytes', config.retentionBytes, 0)
  checkInteger('pruneInterval', config.pruneInterval, 100, 24 * 3_600_000)
  checkInteger('unclaimedGrace', config.unclaimedGrace, 0, MAX_RETENTION)
  checkInteger('reconnectInterval', config.reconnectInterval, 50, 3_600_000)
  checkInteger('priority', config.priority, 0, MAX_PRIORITY)
  checkInteger('commitTimeout', config.commitTimeout, 1, 120_000)
  checkInteger('memberChains', config.memberChains, 0, 65_536)
  checkInteger('memberUndecidedBytes', config.memberUndecidedBytes, 0)
  checkInteger('memberIdle', config.memberIdle, 100, 24 * 3_600_000)
  checkInteger('backupAway', config.backupAway, 0, MAX_BACKUP_AWAY)
  checkInteger('maxForwardPointers', config.maxForwardPointers, 1, MAX_KEPT_TABLES)
  checkInteger('maxTableHints', config.maxTableHints, 1, MAX_KEPT_TABLES)
  checkInteger('readQuorum', config.readQuorum, 1, config.boothSize)
  const nw = writeQuorumOf(config.boothSize)
  if (config.readQuorum + nw <= config.boothSize) {
    throw new ConfigError(`readQuorum: Nr + Nw must exceed N, or a read can miss the newest write: Nr = ${config.readQuorum}, Nw = ${nw} (a majority of the booth), N = ${config.boothSize} (boothSize); use readQuorum ≥ ${defaultReadQuorum(config.boothSize)}`)
  }
  if (config.allowedPeers?.length === 0) {
    // a list of nobody is no network: every peer refused, and a shared chain of this vehicle alone that it keeps for good
    throw new ConfigError('allowedPeers: at least one peer id (an empty list would refuse every peer and start a shared chain of this vehicle alone)')
  }
  if (config.allowedPeers != null) {
    // peers are compared by their usual form (12D3KooW…): one listed in another (a CID, bafz…) was refused, unsaid
    config.allowedPeers = [...new Set(config.allowedPeers.map(id => {
      try {
        return peerIdFromString(id).toString()
      } catch {
        throw new ConfigError(`allowedPeers: not a peer id: ${id}`)
      }
    }))]
  }
  return frozen(config)
}

/**
 * The config as checked, frozen, its lists copies of the caller's: node.config.announce was the
 * caller's array, and a JavaScript embedder editing node.config changed what some parts read as
 * they go and not the others (an allow list pushed to let into an end of booth a vehicle the
 * peering kept refusing: a probe, 2026-12-03). Strict code editing it gets a TypeError.
 */
function frozen (config: VGuardNodeConfig): VGuardNodeConfig {
  for (const key of ['listen', 'announce', 'bootstrap', 'allowedPeers'] as const) {
    const list = config[key]
    if (list != null) config[key] = Object.freeze([...list]) as string[]
  }
  return Object.freeze(config)
}

/**
 * Why k cannot be met by booths of our own consensus (backups come from a
 * booth's members other than the proposer), if it cannot: a start warns.
 */
export function backupsBeyondBooth (config: Pick<VGuardNodeConfig, 'kBackups' | 'boothSize'>): string | undefined {
  if (config.kBackups < config.boothSize) return undefined
  return `${config.kBackups} backups cannot come from booths of ${config.boothSize} (the proposer and ${config.boothSize - 1} ${config.boothSize === 2 ? 'other' : 'others'}): rounds after our own commits stay partial; only VGuard's endOfBooth participants can make up more`
}

/** createVGuardNode's extras, checked as the options are: JavaScript's null, or a misspelt key, was a TypeError after the database opened, or ignored (a review). */
export function checkExtras (extras: unknown): void {
  if (extras == null || typeof extras !== 'object' || Array.isArray(extras)) throw new ConfigError(`extras: expected an object ({ logger }), got ${extras === null ? 'null' : Array.isArray(extras) ? 'an array' : typeof extras}`)
  const unknown = Object.keys(extras).filter(k => k !== 'logger')
  if (unknown.length > 0) throw new ConfigError(`extras: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map(k => JSON.stringify(k)).join(', ')} (it takes logger)`)
  const { logger } = extras as { logger?: unknown }
  if (logger !== undefined && (logger == null || typeof (logger as { forComponent?: unknown }).forComponent !== 'function')) throw new ConfigError('extras.logger: expected a ComponentLogger (with forComponent)')
}
