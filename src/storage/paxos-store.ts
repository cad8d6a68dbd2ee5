/**
 * Durable consensus state on the node's LevelDB: one `PaxosStorage` (the
 * interface of src/consensus) per chain, all in the `paxos` sublevel.
 *
 * Keys: `<cid> h` → hard state, `<cid> m` → the driver's metadata (opaque
 * bytes), `<cid> e <slot u64 BE>` → one entry, `<cid> d <slot>` → (empty)
 * the entry stored at that slot was decided — a value of up to 4 MiB is not
 * written twice just to flip its flag; <cid> is the chain id's UTF-8 bytes
 * preceded by their length, so no chain's range contains another's;
 * `<cid> w <ms u64 BE> <write key>` → height u64 BE + block hash: a write
 * with an id the replica applied (see rememberWrites). A data value of 64
 * KiB or more is not in its entry: it lives in the chain's value log
 * (paxos-values.ts), and the entry says where.
 *
 * Guarantees (what the driver relies on before it sends a Ready's messages):
 * - `save(persist)` is one atomic batch: the hard state replaced whole,
 *   entries upserted by slot, entries with slot ≤ compactTo deleted;
 * - it is written with `sync: true` whenever it vouches for something a
 *   reply will promise: a new promise or round, or an entry accepted at a
 *   ballot not stored before. What can be learned again after a machine
 *   crash (commit, decided flags, booth epochs, values learned decided from
 *   a peer) is written without sync; a later synced write flushes it along
 *   (LevelDB has one write-ahead log, so what survives a crash is a prefix
 *   of the saves);
 * - a value for the value log is written and fdatasynced before the batch
 *   that points to it, so no entry LevelDB recovers points to bytes a crash
 *   lost; a segment goes only after a synced batch dropped its last entry;
 * - a process crash (kill -9) loses nothing that save() resolved.
 */
import { ZERO_BALLOT } from '../consensus/index.ts'
import type { Ballot, Entry, HardState, Persist, PersistedState, PaxosStorage, Value } from '../consensus/index.ts'
import type { BatchOp, BinarySublevel, NodeDatabase } from './database.ts'
import { HASH_BYTES, MAX_CHAIN_ID_BYTES, varintLength, writeVarint } from '../chain/index.ts'
import { StoredEntry, StoredHardState } from './pb/paxos.ts'
import type { StoredBallot } from './pb/paxos.ts'
import { concat, prefixEnd, readU64, writeU64 } from './keys.ts'
import { PAXOS_VALUES_DIR, PaxosValueLog, VALUE_LOG_MIN_BYTES } from './paxos-values.ts'
import type { ValueRef } from './paxos-values.ts'
import { Segments } from './segments.ts'
import { join } from 'node:path'
import { SYNC_WRITE } from './database.ts'

export const PAXOS_SUBLEVEL = 'paxos'

const TYPE_HARD = 0x68 // h
const TYPE_META = 0x6d // m
const TYPE_ENTRY = 0x65 // e
/** A slot's entry, already stored at the same ballot, was decided: the marker spares rewriting its value. */
const TYPE_DECIDED = 0x64 // d
const TYPE_WRITE = 0x77 // w
/** A remembered write's key → when it was remembered: finds it by key, past what the replica keeps in memory. */
const TYPE_WRITE_BY_KEY = 0x6b // k

const NO_SYNC = { sync: false } as Record<string, unknown>

/** Index entries read at once when remembered writes are forgotten. */
const FORGET_CHUNK = 1_000

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()
const EMPTY = new Uint8Array(0)

/** A write with an id that the chain's replica applied, and the block it went into. */
export interface RememberedWrite {
  /** The write's key (sender, chain, id: node/recent-writes.ts). */
  key: string
  /** Whose share of the write memory it counts against (node/recent-writes.ts memoryOwner); by default the key's sender. */
  owner?: string
  /** When it was applied, in ms since the epoch. */
  at: number
  height: number
  hash: Uint8Array
}

/** A chain id that cannot be stored (empty or longer than a chain id may be). */
export class InvalidChainIdError extends Error {
  static name = 'InvalidChainIdError'
  constructor (message = 'Invalid chain id') {
    super(message)
    this.name = 'InvalidChainIdError'
  }
}

/** classic-level hands out Buffers even for 'view'; callers get plain Uint8Arrays. */
function plain (bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
}

function chainPrefix (chainId: string): Uint8Array {
  const id = utf8.encode(chainId)
  if (id.byteLength === 0 || id.byteLength > MAX_CHAIN_ID_BYTES) throw new InvalidChainIdError(`chain id must be 1..${MAX_CHAIN_ID_BYTES} bytes`)
  return concat([Uint8Array.of(id.byteLength), id])
}

function entryKey (prefix: Uint8Array, slot: number, type = TYPE_ENTRY): Uint8Array {
  const key = new Uint8Array(prefix.byteLength + 9)
  key.set(prefix)
  key[prefix.byteLength] = type
  writeU64(key, prefix.byteLength + 1, slot)
  return key
}

function ballotToPb (b: Ballot): StoredBallot {
  return { round: b.round, proposer: b.proposer }
}

function ballotFromPb (b: StoredBallot | undefined): Ballot {
  return b == null ? { ...ZERO_BALLOT } : { round: b.round, proposer: b.proposer }
}

function encodeHard (hs: HardState): Uint8Array {
  return StoredHardState.encode({
    promised: ballotToPb(hs.promised),
    round: hs.round,
    commit: hs.commit,
    compacted: hs.compacted,
    booths: hs.booths.map(e => ({ slot: e.slot, members: [...e.members] })),
    provenCommit: hs.commitProof?.commit ?? 0,
    commitProof: (hs.commitProof?.signature ?? EMPTY) as Uint8Array<ArrayBuffer>
  })
}

function decodeHard (bytes: Uint8Array): HardState {
  const pb = StoredHardState.decode(bytes)
  const hs: HardState = {
    promised: ballotFromPb(pb.promised),
    round: pb.round,
    commit: pb.commit,
    compacted: pb.compacted,
    booths: pb.booths.map(e => ({ slot: e.slot, members: e.members }))
  }
  if (pb.provenCommit > 0 && pb.commitProof.byteLength > 0) hs.commitProof = { commit: pb.provenCommit, signature: pb.commitProof }
  return hs
}

const KIND: Record<Value['kind'], StoredEntry.Kind> = { data: StoredEntry.Kind.DATA, noop: StoredEntry.Kind.NOOP, booth: StoredEntry.Kind.BOOTH }

/** StoredEntry field 5 (data), length-delimited. */
const DATA_TAG = (5 << 3) | 2

/**
 * StoredEntry.encode's bytes with the value (up to 4 MiB, on every acceptor
 * and every save) copied once: protons copied it twice (its writer, then the
 * final buffer). Fields 1-4 and 6-8 come from protons; data, field 5, goes
 * between them, where protons writes it.
 */
export function encodeEntry (e: Entry, logged?: ValueRef): Uint8Array {
  const v = e.value
  const data = v.kind === 'data' && logged == null ? v.data : EMPTY
  const empty = new Uint8Array(0)
  const head = StoredEntry.encode({
    slot: e.slot,
    ballot: ballotToPb(e.ballot),
    kind: KIND[v.kind],
    id: v.kind === 'data' ? v.id : '',
    data: empty,
    members: [],
    booth: [],
    decided: false,
    logSegment: 0,
    logOffset: 0,
    logLength: 0,
    logCrc: 0,
    proofRound: 0,
    proofSignature: empty
  })
  const tail = StoredEntry.encode({
    slot: 0,
    kind: StoredEntry.Kind.DATA,
    id: '',
    data: empty,
    members: v.kind === 'booth' ? [...v.members] : [],
    booth: [...e.booth],
    decided: e.decided,
    logSegment: logged?.segment ?? 0,
    logOffset: logged?.offset ?? 0,
    logLength: logged?.length ?? 0,
    logCrc: logged?.crc ?? 0,
    proofRound: e.proof?.round ?? 0,
    proofSignature: (e.proof?.signature ?? empty) as Uint8Array<ArrayBuffer>
  })
  if (data.byteLength === 0) return concat([head, tail])
  const out = new Uint8Array(head.byteLength + 1 + varintLength(data.byteLength) + data.byteLength + tail.byteLength)
  out.set(head)
  out[head.byteLength] = DATA_TAG
  const pos = writeVarint(out, head.byteLength + 1, data.byteLength)
  out.set(data, pos)
  out.set(tail, pos + data.byteLength)
  return out
}

/** A stored entry; a value in the chain's value log comes with its place (and empty data, to be read from there). */
export function decodeStored (bytes: Uint8Array): { entry: Entry, logged?: ValueRef } {
  const pb = StoredEntry.decode(bytes)
  let value: Value
  switch (pb.kind) {
    case StoredEntry.Kind.DATA: value = { kind: 'data', id: pb.id, data: pb.data }; break
    case StoredEntry.Kind.BOOTH: value = { kind: 'booth', members: pb.members }; break
    default: value = { kind: 'noop' }
  }
  const entry: Entry = { slot: pb.slot, ballot: ballotFromPb(pb.ballot), value, booth: pb.booth, decided: pb.decided }
  if (pb.proofRound > 0 && pb.proofSignature.byteLength > 0) entry.proof = { round: pb.proofRound, signature: pb.proofSignature }
  if (pb.kind !== StoredEntry.Kind.DATA || pb.logLength === 0) return { entry }
  return { entry, logged: { segment: pb.logSegment, offset: pb.logOffset, length: pb.logLength, crc: pb.logCrc } }
}

/** An entry as stored inline (a logged value's data is empty here: see decodeStored). */
export function decodeEntry (bytes: Uint8Array): Entry {
  return decodeStored(bytes).entry
}

type DataEntry = Entry & { value: { kind: 'data', id: string, data: Uint8Array } }

export interface PaxosStoreOptions {
  /** Data values of at least this many bytes go to the chain's value log (paxos-values.ts). @default 64 KiB */
  valueLogMinBytes?: number
  /** A value-log segment takes values until it holds this much. @default 64 MiB */
  valueSegmentBytes?: number
  /** A value-log segment nothing points into is left for a new one once it holds this much. @default 4 MiB */
  valueSegmentRollEmptyBytes?: number
}

function ballotKey (b: Ballot): string {
  return `${b.round}.${b.proposer}`
}

/** One chain's consensus state. Saves are serialized by the caller (one driver loop per chain). */
export class LevelPaxosStorage implements PaxosStorage {
  readonly chainId: string
  private readonly db: BinarySublevel
  private readonly values: PaxosValueLog
  private readonly prefix: Uint8Array
  /** The write-id steps (rememberWrites, forgetWrites) in the order they came. */
  private writeSteps: Promise<void> = Promise.resolve()
  private readonly hardKey: Uint8Array
  private readonly metaKey: Uint8Array
  /** What the last synced hard state vouched for. */
  private savedPromise = ''
  private savedRound = -1
  /** Ballot of each stored entry: a re-write at the same ballot (decided flag) needs no sync. */
  private readonly savedBallots = new Map<number, string>()
  /** Where the value of each stored entry whose value is in the value log lives. */
  private readonly savedRefs = new Map<number, ValueRef>()
  /** savedBallots and savedRefs list every entry on disk, and the value log counts their references. */
  private indexed = false

  private readonly valueLogMinBytes: number

  constructor (db: BinarySublevel, chainId: string, values: PaxosValueLog, options: PaxosStoreOptions = {}) {
    this.db = db
    this.chainId = chainId
    this.values = values
    this.valueLogMinBytes = options.valueLogMinBytes ?? VALUE_LOG_MIN_BYTES
    this.prefix = chainPrefix(chainId)
    this.hardKey = concat([this.prefix, Uint8Array.of(TYPE_HARD)])
    this.metaKey = concat([this.prefix, Uint8Array.of(TYPE_META)])
  }

  /** The stored hard state alone (one read: no entries, no values). */
  async hardState (): Promise<HardState | undefined> {
    const hard = await this.db.get(this.hardKey)
    return hard == null ? undefined : decodeHard(plain(hard))
  }

  /** Whether any entry (an accepted or decided value) is stored: one key read, nothing indexed. */
  async hasEntries (): Promise<boolean> {
    const first = await this.db.keys({ gte: entryKey(this.prefix, 0), lt: prefixEnd(concat([this.prefix, Uint8Array.of(TYPE_ENTRY)])), limit: 1 }).all()
    return first.length > 0
  }

  async load (): Promise<PersistedState | undefined> {
    const hardState = await this.hardState()
    if (hardState == null) {
      // entries exist only beside a hard state (the first save of a chain writes one)
      await this.index([])
      return undefined
    }
    this.savedPromise = ballotKey(hardState.promised)
    this.savedRound = hardState.round
    const stored = await this.scan()
    await this.index(stored)
    for (const { entry, logged } of stored) {
      if (logged != null && entry.value.kind === 'data') entry.value = { ...entry.value, data: await this.values.read(logged) }
    }
    return { hardState, entries: stored.map(s => s.entry) }
  }

  /** Every stored entry, decided flags set (logged values not read). */
  private async scan (): Promise<Array<{ entry: Entry, logged?: ValueRef }>> {
    const decided = new Set<number>()
    for await (const key of this.db.keys({ gte: entryKey(this.prefix, 0, TYPE_DECIDED), lt: prefixEnd(concat([this.prefix, Uint8Array.of(TYPE_DECIDED)])) })) {
      decided.add(readU64(key, this.prefix.byteLength + 1))
    }
    const out: Array<{ entry: Entry, logged?: ValueRef }> = []
    for await (const value of this.db.values({ gte: entryKey(this.prefix, 0), lt: prefixEnd(concat([this.prefix, Uint8Array.of(TYPE_ENTRY)])) })) {
      const stored = decodeStored(plain(value))
      if (decided.has(stored.entry.slot)) stored.entry.decided = true
      out.push(stored)
    }
    return out
  }

  /** Takes the stored entries as what is saved, and lets the value log drop what none of them points into. */
  private async index (stored: Array<{ entry: Entry, logged?: ValueRef }>): Promise<void> {
    this.savedBallots.clear()
    this.savedRefs.clear()
    for (const { entry, logged } of stored) {
      this.savedBallots.set(entry.slot, ballotKey(entry.ballot))
      if (logged != null) this.savedRefs.set(entry.slot, logged)
    }
    await this.values.reset([...this.savedRefs.values()])
    this.indexed = true
  }

  async save (persist: Persist): Promise<void> {
    // a save before any load (tests, tools) still knows what is stored: compaction and the value log count on it
    if (!this.indexed) await this.index(await this.scan())
    const ops: BatchOp[] = []
    let sync = false
    const hs = persist.hardState
    if (hs != null) {
      ops.push({ type: 'put', key: this.hardKey, value: encodeHard(hs) })
      if (ballotKey(hs.promised) !== this.savedPromise || hs.round !== this.savedRound) sync = true
    }
    const ballots = new Map<number, string>()
    /** Entries written whole (not only a decided flag). */
    const written: Entry[] = []
    for (const e of persist.entries) {
      const key = ballotKey(e.ballot)
      const stored = this.savedBallots.get(e.slot) === key
      ballots.set(e.slot, key)
      if (stored && e.decided) {
        // same ballot, so the same value (Paxos): only the flag is new
        ops.push({ type: 'put', key: entryKey(this.prefix, e.slot, TYPE_DECIDED), value: EMPTY })
        continue
      }
      // An acceptance is promised to its leader (accepted): durable first.
      // A value learned decided from a peer (a catch-up answer, a push to
      // learners: stored at ballot 0, which no acceptance ever carries) was
      // chosen by a majority that synced it without our vote: losing our
      // copy in a machine crash only means fetching it again.
      if (!stored && !(e.decided && e.ballot.round === 0)) sync = true
      written.push(e)
    }
    // large values first, durably, into the value log: the entries below point to them
    const logged = written.filter((e): e is DataEntry => e.value.kind === 'data' && e.value.data.byteLength >= this.valueLogMinBytes)
    const places = logged.length > 0 ? await this.values.append(logged.map(e => e.value.data)) : []
    const placeOf = new Map<Entry, ValueRef>(logged.map((e, i) => [e, places[i]]))
    /** Each written slot's value place from now on (undefined: inline). */
    const refs = new Map<number, ValueRef | undefined>()
    for (const e of written) {
      const ref = placeOf.get(e)
      refs.set(e.slot, ref)
      ops.push({ type: 'put', key: entryKey(this.prefix, e.slot), value: encodeEntry(e, ref) })
      ops.push(e.decided
        ? { type: 'put', key: entryKey(this.prefix, e.slot, TYPE_DECIDED), value: EMPTY }
        : { type: 'del', key: entryKey(this.prefix, e.slot, TYPE_DECIDED) })
    }
    // savedBallots lists every stored entry (and a marker exists only beside
    // one): no scan, which would also wade through the tombstones of every
    // earlier compaction while the replica's loop waits; entries upserted by
    // this same persist and ≤ compactTo are deleted too
    const compactTo = persist.compactTo
    const compacted = compactTo == null ? [] : [...new Set([...this.savedBallots.keys(), ...ballots.keys()])].filter(slot => slot <= compactTo)
    for (const slot of compacted) {
      ops.push({ type: 'del', key: entryKey(this.prefix, slot) })
      ops.push({ type: 'del', key: entryKey(this.prefix, slot, TYPE_DECIDED) })
    }
    const releasedSlots = new Set([...refs.keys(), ...compacted])
    const released = [...releasedSlots].map(slot => this.savedRefs.get(slot)).filter((r): r is ValueRef => r != null)
    // a value-log segment goes once no entry points into it: only after a batch that cannot be lost
    const emptied = this.values.emptiedBy(released)
    if (emptied.length > 0) sync = true
    if (ops.length === 0) return
    await this.db.batch(ops, sync ? SYNC_WRITE : NO_SYNC)
    if (hs != null) {
      this.savedPromise = ballotKey(hs.promised)
      this.savedRound = hs.round
    }
    for (const [slot, key] of ballots) this.savedBallots.set(slot, key)
    for (const slot of releasedSlots) {
      const old = this.savedRefs.get(slot)
      if (old != null) this.values.release(old)
      this.savedRefs.delete(slot)
    }
    const dropped = new Set(compacted)
    for (const [slot, ref] of refs) {
      if (ref == null || dropped.has(slot)) continue
      this.values.retain(ref)
      this.savedRefs.set(slot, ref)
    }
    for (const slot of compacted) this.savedBallots.delete(slot)
    // the save is done (the batch is durable): a segment that cannot be deleted
    // now is garbage nothing points into, which the next load() deletes
    await this.values.drop(emptied).catch(() => {})
  }

  /**
   * Whether a save of `persist` would add nothing durable that the given
   * slots' values depend on: each slot's entry is absent from it or stored
   * here already at the same ballot (only its decided flag is new, which can
   * be learned again). Then those values are already durable here — in an
   * earlier, completed save — and the driver may apply them while `persist`
   * is written.
   */
  holdsDurably (persist: Persist, slots: number[]): boolean {
    if (slots.length === 0) return true
    const wanted = new Set(slots)
    for (const e of persist.entries) {
      if (wanted.has(e.slot) && this.savedBallots.get(e.slot) !== ballotKey(e.ballot)) return false
    }
    return true
  }

  /** The driver's own metadata for this chain (applied cursor, genesis), opaque here. */
  async getMeta (): Promise<Uint8Array | undefined> {
    const meta = await this.db.get(this.metaKey)
    return meta == null ? undefined : plain(meta)
  }

  /** Written without sync unless asked: the driver can re-derive it from the entries. */
  async setMeta (meta: Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
    await this.db.put(this.metaKey, meta, options.sync === true ? SYNC_WRITE : NO_SYNC)
  }

  /**
   * Keeps writes the replica applied, so that a restarted proposer still
   * answers their retries with their blocks. Written without sync: they
   * follow the blocks they name, which are applied without sync too, and a
   * crash that loses both replays the slots again (a later synced write,
   * e.g. before a compaction, makes both durable: one write-ahead log).
   */
  async rememberWrites (writes: RememberedWrite[]): Promise<void> {
    if (writes.length === 0) return
    await this.inOrder(async () => await this.db.batch(writes.flatMap(w => {
      // height, the 32-byte hash, then the owner where it is not the key's sender
      const owner = w.owner == null || w.key.startsWith(`${w.owner}\n`) ? new Uint8Array(0) : utf8.encode(w.owner)
      const value = new Uint8Array(8 + HASH_BYTES + owner.byteLength)
      writeU64(value, 0, w.height)
      value.set(w.hash, 8)
      value.set(owner, 8 + HASH_BYTES)
      const at = new Uint8Array(8)
      writeU64(at, 0, w.at)
      return [
        { type: 'put' as const, key: this.writeKey(w.at, w.key), value },
        { type: 'put' as const, key: this.writeByKey(w.key), value: at }
      ]
    }), NO_SYNC))
  }

  /** Deletes the writes remembered before `since` (ms). */
  async forgetWrites (since: number): Promise<void> {
    // one at a time with rememberWrites: an index entry read here for a key remembered again meanwhile would go
    await this.inOrder(async () => {
      const base = concat([this.prefix, Uint8Array.of(TYPE_WRITE)])
      const end = this.writeKey(Math.max(0, since), '')
      // their index entries too, unless the key was remembered again since (a write whose fate was unknown,
      // then applied): read in chunks (a minute of writes at 1k/s is 60k records, once a minute)
      let chunk: Array<{ at: number, key: string }> = []
      const unindex = async (): Promise<void> => {
        const indexed = await this.db.getMany(chunk.map(c => this.writeByKey(c.key)))
        const gone = chunk.filter((c, i) => indexed[i] != null && readU64(plain(indexed[i] as Uint8Array), 0) === c.at)
        if (gone.length > 0) await this.db.batch(gone.map(c => ({ type: 'del' as const, key: this.writeByKey(c.key) })), NO_SYNC)
        chunk = []
      }
      for await (const k of this.db.keys({ gte: base, lt: end })) {
        const key = plain(k)
        chunk.push({ at: readU64(key, base.byteLength), key: utf8d.decode(key.subarray(base.byteLength + 8)) })
        if (chunk.length >= FORGET_CHUNK) await unindex()
      }
      if (chunk.length > 0) await unindex()
      await this.db.clear({ gte: base, lt: end })
    })
  }

  /** Runs `step` after the write-id steps before it (rememberWrites, forgetWrites). */
  private async inOrder (step: () => Promise<void>): Promise<void> {
    const done = this.writeSteps.then(step)
    this.writeSteps = done.catch(() => {})
    await done
  }

  /**
   * The write remembered under `key` (its newest record), found by key: a
   * replica keeps only so many in memory (WRITE_MEMORY), and a retry that
   * came after thousands of other writes was proposed again. Undefined if
   * none is remembered (forgotten, or remembered before this index existed).
   */
  async findWrite (key: string): Promise<RememberedWrite | undefined> {
    const indexed = await this.db.get(this.writeByKey(key))
    if (indexed == null) return undefined
    const at = readU64(plain(indexed), 0)
    const stored = await this.db.get(this.writeKey(at, key))
    if (stored == null) return undefined
    const value = plain(stored)
    if (value.byteLength < 8 + HASH_BYTES) return undefined
    const owner = value.byteLength > 8 + HASH_BYTES ? utf8d.decode(value.subarray(8 + HASH_BYTES)) : undefined
    return { key, ...(owner == null ? {} : { owner }), at, height: readU64(value, 0), hash: value.slice(8, 8 + HASH_BYTES) }
  }

  private writeByKey (key: string): Uint8Array {
    return concat([this.prefix, Uint8Array.of(TYPE_WRITE_BY_KEY), utf8.encode(key)])
  }

  /** The newest `limit` writes remembered since `since` (ms), oldest first; older ones are deleted. */
  async recentWrites (since: number, limit: number): Promise<RememberedWrite[]> {
    const base = concat([this.prefix, Uint8Array.of(TYPE_WRITE)])
    const from = this.writeKey(Math.max(0, since), '')
    await this.forgetWrites(since)
    const out: RememberedWrite[] = []
    for await (const [k, v] of this.db.iterator({ gte: from, lt: prefixEnd(base), reverse: true, limit })) {
      const key = plain(k)
      const value = plain(v)
      if (value.byteLength < 8 + HASH_BYTES) continue
      const owner = value.byteLength > 8 + HASH_BYTES ? utf8d.decode(value.subarray(8 + HASH_BYTES)) : undefined
      out.push({
        key: utf8d.decode(key.subarray(base.byteLength + 8)),
        ...(owner == null ? {} : { owner }),
        at: readU64(key, base.byteLength),
        height: readU64(value, 0),
        hash: value.slice(8, 8 + HASH_BYTES)
      })
    }
    return out.reverse()
  }

  private writeKey (at: number, key: string): Uint8Array {
    const base = concat([this.prefix, Uint8Array.of(TYPE_WRITE)])
    const out = concat([base, new Uint8Array(8), utf8.encode(key)])
    writeU64(out, base.byteLength, at)
    return out
  }

  /** The value log stops appending (see PaxosValueLog.seal); only once the stored entries were counted. */
  async seal (): Promise<void> {
    if (this.indexed) await this.values.seal()
  }

  /** Deletes everything stored for this chain. */
  async clear (): Promise<void> {
    // LevelDB first: a crash in between leaves segments nothing points into (the next load drops them), never the reverse
    await this.db.clear({ gte: this.prefix, lt: prefixEnd(this.prefix) })
    await this.values.remove()
    this.savedBallots.clear()
    this.savedRefs.clear()
    this.indexed = true
    this.savedPromise = ''
    this.savedRound = -1
  }
}

/** The consensus state of every chain this node takes part in. */
export class LevelPaxosStore {
  private readonly db: BinarySublevel
  /** Every chain's value log, in one directory of the data dir. */
  private readonly segments: Segments
  /** One storage per chain: its value log counts references that a second instance would not see. */
  private readonly storages = new Map<string, LevelPaxosStorage>()
  private readonly options: PaxosStoreOptions

  constructor (database: NodeDatabase, options: PaxosStoreOptions = {}) {
    this.db = database.sublevel(PAXOS_SUBLEVEL)
    this.segments = new Segments(join(database.dataDir, PAXOS_VALUES_DIR))
    this.options = options
  }

  /** The storage of one chain (created empty if new). */
  storage (chainId: string): LevelPaxosStorage {
    let storage = this.storages.get(chainId)
    if (storage == null) {
      storage = new LevelPaxosStorage(this.db, chainId, new PaxosValueLog(this.segments, chainId, { segmentBytes: this.options.valueSegmentBytes, rollEmptyBytes: this.options.valueSegmentRollEmptyBytes }), this.options)
      this.storages.set(chainId, storage)
    }
    return storage
  }

  /**
   * A chain's replica closed for good (a booth member retiring): its value
   * log lets go of the segment it appended to (deleted once nothing points
   * into it), and its storage leaves memory; the next storage() of the chain
   * reads its state from disk again.
   */
  async release (chainId: string): Promise<void> {
    const storage = this.storages.get(chainId)
    if (storage == null) return
    this.storages.delete(chainId)
    await storage.seal()
  }

  /** Closes the value logs' open files (the database is the caller's). */
  async close (): Promise<void> {
    await this.segments.close()
  }

  /** Chain ids with a stored hard state (one seek per chain, not a scan of the entries). */
  async chains (): Promise<string[]> {
    const out: string[] = []
    const it = this.db.keys()
    try {
      while (true) {
        const key = await it.next()
        if (key == null) break
        const len = key[0]
        const prefix = key.subarray(0, 1 + len)
        if (await this.db.get(concat([prefix, Uint8Array.of(TYPE_HARD)])) != null) out.push(utf8d.decode(key.subarray(1, 1 + len)))
        it.seek(prefixEnd(prefix))
      }
    } finally {
      await it.close()
    }
    return out
  }
}
