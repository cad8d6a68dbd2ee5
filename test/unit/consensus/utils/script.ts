/**
 * A tiny interpreter for Paxos scenario scripts (test/testdata/paxos/*.txt),
 * in the spirit of etcd raft's interaction tests: each line is a command,
 * `#` starts a comment, and `expect …` lines are the checks. A failing line
 * throws with its file and line number.
 *
 * Nodes are named by short ids ("1", "2", …). Values are written `a` (data
 * with id a and bytes "a"), `noop`, or `booth:1,2,4`. Ballots are `round.id`.
 * Message filters are key=value pairs among from, to, type, slot.
 *
 *   cluster ids=1,2,3 [booth=1,2,3] [proposer=1 | priorities=1:3,2:2,3:1]
 *           [learners=4] [window=2] [inflight=2] [election=10] [heartbeat=1] [idle-heartbeat=5] [announce=false]
 *   campaign 1                 tick 1 [n]              tick-all [n]
 *   propose 1 a                fails NotLeaderError propose 2 a   (any command)
 *   change-booth 1 1,2,4       compact 2 3
 *   process [id]               run every driver (persist, send, apply, advance)
 *   deliver [filter]           deliver matching in-flight messages (then process)
 *   drop [filter]              dup [filter]             stabilize
 *   crash 2   restart 2   crash-after-persist 2   partition 1 | 2,3   heal
 *   copy-disk 1                restore-disk 1   (a crashed node's data dir back to the copy)
 *   send 3->2 prepare round=1 [slot=1]
 *   send 3->2 accept round=1 slot=1 value=a [booth=1,2,3] [commit=0]
 *   send 3->2 heartbeat round=1 [commit=0]      send 3->2 catchup slot=1
 *   send 3->2 prePrepare round=9
 *   expect role 1 leader       expect leader 2 1         expect promised 2 2.1
 *   expect commit 2 3          expect booth 1 1,2,4      expect inflight 1 2
 *   expect applied 2 1:a 2:noop 3:booth:1,2,4           (exactly this log)
 *   expect accepted 2 3 a [ballot=2.1] [decided=false]  (persisted entry)
 *   expect no-entry 2 3        expect msg type=nack from=2 [to=3] [count=1]
 *   expect no-msg type=accept  expect dropped 1 a
 *   read 1 r1                  a leader read at 1 with context r1
 *   expect read 1 r1 index=2   (or pending, failed=not-leader, failed=timeout)
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { formatBallot } from '../../../../src/consensus/index.ts'
import { Cluster, valueLabel } from './cluster.ts'
import { testProofs } from './proofs.ts'
import type { Candidate, Message, PaxosConfig, Value } from '../../../../src/consensus/index.ts'

export class ScriptError extends Error {
  static name = 'ScriptError'
  constructor (message = 'Scenario failed') {
    super(message)
    this.name = 'ScriptError'
  }
}

type Args = Map<string, string>

function parseArgs (words: string[]): { positional: string[], args: Args } {
  const positional: string[] = []
  const args: Args = new Map()
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq > 0) {
      args.set(w.slice(0, eq), w.slice(eq + 1))
    } else {
      positional.push(w)
    }
  }
  return { positional, args }
}

export function parseValue (text: string): Value {
  if (text === 'noop') {
    return { kind: 'noop' }
  }
  if (text.startsWith('booth:')) {
    return { kind: 'booth', members: text.slice(6).split(',') }
  }
  return { kind: 'data', id: text, data: new TextEncoder().encode(text) }
}

function list (text: string | undefined): string[] {
  return text == null || text === '' ? [] : text.split(',')
}

function int (text: string | undefined, fallback: number): number {
  if (text == null) {
    return fallback
  }
  const n = Number(text)
  if (!Number.isSafeInteger(n)) {
    throw new ScriptError(`not an integer: ${text}`)
  }
  return n
}

/** A message field as scenarios write it: ballots `round.id`, values `a` / `noop` / `booth:…`. */
function field (msg: Message, key: string): string | undefined {
  switch (key) {
    case 'round': return 'ballot' in msg ? String(msg.ballot.round) : undefined
    case 'ballot': return 'ballot' in msg ? formatBallot(msg.ballot) : undefined
    case 'promised': return msg.type === 'nack' || msg.type === 'prePromise' ? formatBallot(msg.promised) : undefined
    case 'value': return msg.type === 'accept' ? valueLabel(msg.value) : undefined
    default: {
      const v = (msg as unknown as Record<string, unknown>)[key]
      return v == null ? undefined : String(v)
    }
  }
}

function matches (msg: Message, filter: Args): boolean {
  for (const [k, v] of filter) {
    if (k !== 'count' && field(msg, k) !== v) {
      return false
    }
  }
  return true
}

export function describeMessage (msg: Message): string {
  const b = 'ballot' in msg ? ` ${formatBallot(msg.ballot)}` : ''
  const slot = 'slot' in msg ? ` slot=${msg.slot}` : ''
  const extra = msg.type === 'accept' ? ` value=${valueLabel(msg.value)}` : msg.type === 'nack' ? ` promised=${formatBallot(msg.promised)}` : ''
  return `${msg.from}->${msg.to} ${msg.type}${b}${slot}${extra}`
}

export class Scenario {
  cluster?: Cluster

  /** Runs a whole script file. */
  static runFile (path: string): void {
    new Scenario().run(readFileSync(path, 'utf8'), basename(path))
  }

  run (text: string, name = 'script'): void {
    const lines = text.split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/#.*$/, '').trim()
      if (line === '') {
        continue
      }
      try {
        this.exec(line)
      } catch (err) {
        const e = err as Error
        throw new ScriptError(`${name}:${i + 1}: ${line}\n  ${e.name}: ${e.message}${this.net()}`)
      }
    }
  }

  private get c (): Cluster {
    if (this.cluster == null) {
      throw new ScriptError('no cluster yet: start with `cluster ids=…`')
    }
    return this.cluster
  }

  private net (): string {
    if (this.cluster == null || this.cluster.net.length === 0) {
      return ''
    }
    return '\n  in flight:\n' + this.cluster.net.map(m => `    ${describeMessage(m.msg)}`).join('\n')
  }

  private exec (line: string): void {
    const [cmd, ...rest] = line.split(/\s+/)
    if (cmd === 'fails') {
      // `fails ErrorName <command …>`: the command must throw that error
      let failed: Error | undefined
      try {
        this.exec(rest.slice(1).join(' '))
      } catch (err) {
        failed = err as Error
      }
      if (failed?.name !== rest[0]) {
        throw new ScriptError(`expected ${rest[0]}, got ${failed == null ? 'success' : `${failed.name}: ${failed.message}`}`)
      }
      this.c.processAll()
      return
    }
    const { positional: pos, args } = parseArgs(rest)
    switch (cmd) {
      case 'cluster': this.makeCluster(args); break
      case 'campaign': this.c.paxos(pos[0]).campaign(); this.c.processAll(); break
      case 'tick':
        for (let i = 0; i < int(pos[1], 1); i++) {
          this.c.paxos(pos[0]).tick()
        }
        this.c.processAll()
        break
      case 'tick-all':
        for (let i = 0; i < int(pos[0], 1); i++) {
          for (const id of this.c.ids()) {
            if (this.c.up(id)) {
              this.c.paxos(id).tick()
            }
          }
          this.c.processAll()
        }
        break
      case 'run':
        // `run N`: N times tick-all 1 and stabilize (every message delivered after each tick)
        for (let i = 0; i < int(pos[0], 1); i++) {
          for (const id of this.c.ids()) {
            if (this.c.up(id)) this.c.paxos(id).tick()
          }
          this.c.stabilize()
        }
        break
      case 'propose': {
        const v = parseValue(pos[1])
        if (v.kind !== 'data') {
          throw new ScriptError('propose takes a data value')
        }
        this.c.paxos(pos[0]).propose({ id: v.id, data: v.data })
        this.c.proposed(v.id, pos[0])
        this.c.processAll()
        break
      }
      case 'change-booth': this.c.paxos(pos[0]).changeBooth(list(pos[1])); this.c.processAll(); break
      case 'read': this.c.readIndex(pos[0], pos[1]); this.c.processAll(); break
      case 'compact': this.c.compact(pos[0], int(pos[1], 0)); this.c.processAll(); break
      case 'process':
        if (pos[0] == null) {
          this.c.processAll()
        } else {
          while (this.c.process(pos[0])) { /* drain */ }
        }
        break
      case 'deliver': this.deliver(args); break
      case 'drop': this.each(args, i => { this.c.drop(i) }); break
      case 'dup':
        for (const item of this.c.net.filter(m => matches(m.msg, args))) {
          this.c.net.push({ msg: structuredClone(item.msg), seq: item.seq })
        }
        break
      case 'stabilize': this.c.stabilize(); break
      case 'crash': this.c.crash(pos[0]); break
      case 'crash-after-persist': this.c.process(pos[0], 'persist'); break
      case 'restart': this.c.restart(pos[0]); this.c.processAll(); break
      case 'copy-disk': this.c.copyDisk(pos[0]); break
      case 'restore-disk': this.c.restoreDisk(pos[0]); break
      case 'partition': this.c.partition(rest.join(' ').split('|').map(g => list(g.trim()))); break
      case 'heal': this.c.heal(); break
      case 'send': this.send(pos, args); break
      case 'expect': this.expect(pos, args); break
      case 'print': console.log(this.dump()); break
      default: throw new ScriptError(`unknown command ${cmd}`)
    }
  }

  /** Every node's status and the messages in flight (the `print` command, and failures). */
  dump (): string {
    const nodes = this.c.ids().map(id => {
      if (!this.c.up(id)) {
        return `  ${id}: down`
      }
      const s = this.c.paxos(id).status()
      return `  ${id}: ${s.role} leader=${s.leader ?? '-'} ballot=${formatBallot(s.ballot)} promised=${formatBallot(s.promised)} commit=${s.commit} booth=${s.booth.join(',')} inflight=${s.inflight}`
    })
    return nodes.join('\n') + this.net()
  }

  private makeCluster (args: Args): void {
    const ids = list(args.get('ids'))
    const booth = list(args.get('booth') ?? args.get('ids'))
    const learners = list(args.get('learners'))
    const proposer = args.get('proposer')
    const priorities = list(args.get('priorities'))
    const candidates: Candidate[] = priorities.length > 0
      ? priorities.map(p => { const [id, prio] = p.split(':'); return { id, priority: Number(prio) } })
      : ids.map(id => ({ id, priority: 0 }))
    const configs: PaxosConfig[] = ids.map(id => ({
      id,
      booth,
      learners: learners.filter(l => l !== id),
      election: proposer != null ? { mode: 'fixed', proposer } : { mode: 'elected', candidates },
      electionTicks: int(args.get('election'), 10),
      heartbeatTicks: int(args.get('heartbeat'), 1),
      idleHeartbeatTicks: int(args.get('idle-heartbeat'), int(args.get('heartbeat'), 1)),
      // deterministic jitter: scenarios need exact timing
      random: () => 0,
      window: int(args.get('window'), 4),
      maxInflight: int(args.get('inflight'), int(args.get('window'), 4)),
      // announce=false: members learn commits from accepts and heartbeats only (a vehicle's own chain)
      announceToBooth: args.get('announce') !== 'false',
      maxUndecidedBytes: args.get('undecided-bytes') != null ? int(args.get('undecided-bytes'), 0) : undefined,
      // a vehicle's own chain: its proposer signs what it proposes (value-proofs.ts), proofs=off: it does not
      ...(proposer === id && args.get('proofs') !== 'off' ? { proofs: testProofs(id) } : {})
    }))
    this.cluster = new Cluster({ configs })
    this.cluster.processAll()
  }

  private each (filter: Args, fn: (index: number) => void): number {
    const picked = this.c.net.filter(m => matches(m.msg, filter))
    for (const item of picked) {
      const index = this.c.net.indexOf(item)
      if (index >= 0) {
        fn(index)
      }
    }
    return picked.length
  }

  private deliver (filter: Args): void {
    // only what is in flight now: replies wait for the next deliver
    const picked = this.c.net.filter(m => matches(m.msg, filter))
    for (const item of picked) {
      const index = this.c.net.indexOf(item)
      if (index >= 0) {
        this.c.deliver(index)
      }
    }
    this.c.processAll()
  }

  private send (pos: string[], args: Args): void {
    const [from, to] = pos[0].split('->')
    const type = pos[1]
    const ballot = { round: int(args.get('round'), 1), proposer: from }
    let msg: Message
    switch (type) {
      case 'prePrepare':
        msg = { type, from, to, ballot, ...(args.get('takeover') === 'true' ? { takeover: true } : {}) }
        break
      case 'prepare':
        msg = { type, from, to, ballot, slot: int(args.get('slot'), 1), ...(args.get('takeover') === 'true' ? { takeover: true } : {}) }
        break
      case 'accept':
        msg = {
          type,
          from,
          to,
          ballot,
          slot: int(args.get('slot'), 1),
          value: parseValue(args.get('value') ?? 'x'),
          booth: list(args.get('booth') ?? this.c.paxos(to).status().booth.join(',')),
          commit: int(args.get('commit'), 0)
        }
        break
      case 'heartbeat':
        msg = { type, from, to, ballot, commit: int(args.get('commit'), 0) }
        break
      case 'catchup':
        msg = { type, from, to, slot: int(args.get('slot'), 1) }
        break
      case 'decided': {
        // one decided entry, in the addressee's booth
        const booth = list(args.get('booth') ?? this.c.paxos(to).status().booth.join(','))
        const slot = int(args.get('slot'), 1)
        msg = { type, from, to, entries: [{ slot, value: parseValue(args.get('value') ?? 'x'), booth }], commit: int(args.get('commit'), slot) }
        break
      }
      case 'nack':
        // refuses the addressee's own ballot (round=, proposer = the addressee) with a higher promise (of promisedBy=, the sender by default)
        msg = { type, from, to, ballot: { round: int(args.get('round'), 1), proposer: to }, promised: { round: int(args.get('promised'), 2), proposer: args.get('promisedBy') ?? from } }
        break
      default:
        throw new ScriptError(`send does not know ${type}`)
    }
    this.c.paxos(to).step(msg)
    this.c.processAll()
  }

  private expect (pos: string[], args: Args): void {
    const what = pos[0]
    const fail = (got: unknown): never => {
      throw new ScriptError(`got ${typeof got === 'string' ? got : JSON.stringify(got)}`)
    }
    switch (what) {
      case 'role': {
        const got = this.c.paxos(pos[1]).status().role
        if (got !== pos[2]) fail(got)
        break
      }
      case 'leader': {
        const got = this.c.paxos(pos[1]).status().leader ?? 'none'
        if (got !== pos[2]) fail(got)
        break
      }
      case 'promised': {
        const got = formatBallot(this.c.paxos(pos[1]).status().promised)
        if (got !== pos[2]) fail(got)
        break
      }
      case 'commit': {
        const got = this.c.paxos(pos[1]).status().commit
        if (got !== int(pos[2], -1)) fail(got)
        break
      }
      case 'booth': {
        const got = this.c.paxos(pos[1]).status().booth.join(',')
        if (got !== pos[2]) fail(got)
        break
      }
      case 'inflight': {
        const got = this.c.paxos(pos[1]).status().inflight
        if (got !== int(pos[2], -1)) fail(got)
        break
      }
      case 'applied': {
        const got = this.c.node(pos[1]).applied.map(d => `${d.slot}:${valueLabel(d.value)}`).join(' ')
        if (got !== pos.slice(2).join(' ')) fail(got)
        break
      }
      case 'accepted': {
        const e = this.c.node(pos[1]).store.entries.get(int(pos[2], 0))
        if (e == null) {
          return fail('no entry')
        }
        if (valueLabel(e.value) !== pos[3]) fail(valueLabel(e.value))
        if (args.has('ballot') && formatBallot(e.ballot) !== args.get('ballot')) fail(formatBallot(e.ballot))
        if (args.has('decided') && String(e.decided) !== args.get('decided')) fail(`decided=${String(e.decided)}`)
        break
      }
      case 'no-entry': {
        const e = this.c.node(pos[1]).store.entries.get(int(pos[2], 0))
        if (e != null) fail(valueLabel(e.value))
        break
      }
      case 'msg': {
        const n = this.c.net.filter(m => matches(m.msg, args)).length
        if (args.has('count') ? n !== int(args.get('count'), 0) : n === 0) fail(`${n} matching messages`)
        break
      }
      case 'no-msg': {
        const n = this.c.net.filter(m => matches(m.msg, args)).length
        if (n !== 0) fail(`${n} matching messages`)
        break
      }
      case 'read': {
        // `pending` is a word; `index=2` and `failed=…` parse as arguments
        const want = pos[3] ?? [...args].map(([k, v]) => `${k}=${v}`).join(' ')
        const got = this.c.node(pos[1]).reads.get(pos[2]) ?? 'unknown'
        if (got !== want) fail(got)
        break
      }
      case 'dropped': {
        const got = this.c.node(pos[1]).dropped.join(',')
        if (got !== pos.slice(2).join(',')) fail(got)
        break
      }
      default:
        throw new ScriptError(`unknown expectation ${what}`)
    }
  }
}
