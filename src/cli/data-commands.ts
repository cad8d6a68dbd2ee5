/**
 * The CLI's client commands: status, get, put, delete, read, blocks and keys talk to
 * a running node through its local HTTP API (`--http`, the same flag and
 * VGUARD_HTTP variable `start` takes, so one setting serves both). A chain is
 * this node's own unless `--chain` names `shared` or another vehicle.
 */
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, MAX_BODY_BYTES } from '../http/server.ts'
// a page of `keys` asks for the API's most
import { MAX_KEYS_PER_PAGE } from '../http/params.ts'
// the flags take what the API takes: past it the node's 400 said "a height (integer ≥ 1)" of a height typed here (a probe, 2026-12-03)
import { MAX_HEIGHT } from '../http/max-height.ts'
import type { StatusBody } from '../http/status.ts'
import { createApiClient, segment } from './api-client.ts'
import type { ApiClient } from './api-client.ts'
import { readUpTo } from './io.ts'
import type { CliIo } from './io.ts'
import { parseHostPort, parseInteger } from './options.ts'
import type { HostPort } from './options.ts'
import { formatStatus, visible } from './status-format.ts'
import { UsageError } from './usage-error.ts'
import { shownName, valueOutput } from './stored-text.ts'
import { checkIdempotencyKey } from '../node/index.ts'

/** Longer than a write's default commit timeout (10 s) and its replication round. */
const DEFAULT_CLIENT_TIMEOUT = 30_000

export interface ClientFlags { http: HostPort, timeout: number, json: boolean }
export interface ChainFlags extends ClientFlags { chain?: string }

interface ValueAnswer { key: string, value: string, encoding: 'utf8' | 'base64', height: number }
interface WriteFlags { idempotencyKey?: string, replicationWait?: boolean }
interface CommitAnswer { chainId: string, height: number, hash: string, replication?: { state: string, backups: string[], problem?: string } }
interface ReadAnswer extends ValueAnswer {
  chainHeight: number
  epoch: number
  servedBy: string
  stale: boolean
  path: Array<{ peerId: string, outcome: string }>
}
interface BlockJson { height: number, hash: string, txCount: number, payloadBytes: number, timestamp: number, booth: string[], pruned: boolean }
interface BlocksPage { height: number, blocks: BlockJson[], next: number | null }
interface KeyEntry { key: string, height: number, value?: string, encoding?: 'utf8' | 'base64', pruned?: boolean }
interface KeysPage { entries: KeyEntry[], next: string | null, servedBy?: string, chainHeight?: number, epoch?: number, stale?: boolean, path?: Array<{ peerId: string, outcome: string }> }

/** What the commands read of each answer (ApiRequest.expect). */
const STATUS_FIELDS = {
  peerId: 'string',
  network: 'string',
  addresses: 'array',
  listening: 'array',
  peers: 'array',
  'peers[].peerId': 'string',
  chains: 'array',
  'chains[].id': 'string',
  'chains[].role': 'string',
  'chains[].height': 'number',
  'chains[].bytes': 'number',
  storage: 'object',
  'storage.used': 'number',
  'storage.capacity': 'number',
  'storage.heldForOthers': 'number',
  transfers: 'array',
  'transfers[].chainId': 'string',
  'transfers[].peer': 'string',
  'transfers[].height': 'number',
  'transfers[].target': 'number',
  pendingReleases: 'array',
  shared: 'object',
  'shared.conflicts': 'array'
} as const
const VALUE_FIELDS = { value: 'string', encoding: 'string' } as const
const COMMIT_FIELDS = { height: 'number', hash: 'string' } as const

export function clientCommand (name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(new Option('--http <host:port>', 'the node\'s HTTP API (as given to start)').env('VGUARD_HTTP').argParser(parseHostPort).default({ host: DEFAULT_HTTP_HOST, port: DEFAULT_HTTP_PORT }, `${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}`))
    .addOption(new Option('--timeout <ms>', 'how long to wait for the node\'s answer').argParser(parseInteger(1, 600_000)).default(DEFAULT_CLIENT_TIMEOUT))
    .addOption(new Option('--json', 'print the API\'s JSON answer instead').default(false))
}

/**
 * A chain id as typed: spaces around it are dropped, as the integer flags drop them (no chain id has one: a pasted
 * "ID " was sent as it was, and a local read said 404 "not held here" of the node's own chain: a probe, 2026-12-03).
 */
function chainId (id: string): string {
  // an empty id was sent, and a local read said 404 "not held here" of a chain nobody named
  if (id.trim() === '') throw new InvalidArgumentError('expected a vehicle\'s peer id or `shared`, got nothing')
  return id.trim()
}

export const chainOption = (): Option => new Option('-c, --chain <id>', 'a vehicle\'s peer id or `shared` [default: this node\'s own chain]').argParser(chainId)

export function clientOf (flags: ClientFlags): ApiClient {
  // `start --http HOST:0` picks a free port; a client must be given the one the node printed
  if (flags.http.port === 0) throw new UsageError('--http: port 0 is no address to reach: give the port the node printed (http: …)')
  return createApiClient(flags.http, flags.timeout)
}

/**
 * The chain a command is about: named, or the node's own (its peer id). An unhealthy node's /health (503: not
 * started, or a chain's consensus stopped) names it too: the command's own request then says what it meets. Taken
 * for an answer that is no API's, it failed every command about the own chain, reads too (a probe, 2026-12-03).
 */
export async function chainOf (api: ApiClient, flags: ChainFlags): Promise<string> {
  if (flags.chain != null) return flags.chain
  return (await api.request<{ peerId: string }>({ path: '/health', expect: { peerId: 'string' }, readable: [503] })).peerId
}

/**
 * Node hands over arguments as UTF-8 text, each byte that is not UTF-8 made
 * U+FFFD: two different keys would become one, and a value other bytes than
 * were typed. Such an argument is refused (a binary value goes by --file).
 */
function checkText (what: string, text: string, hint = ''): string {
  if (text.includes('\uFFFD')) throw new UsageError(`${what} is not valid UTF-8 (or holds U+FFFD)${hint}`)
  return text
}

/** A key as a path segment of the API, once it is known to be what was typed. */
export const keySegment = (key: string): string => segment(checkText('the key', key))

function decodeValue (answer: ValueAnswer): Uint8Array {
  return answer.encoding === 'base64' ? Buffer.from(answer.value, 'base64') : Buffer.from(answer.value, 'utf8')
}

/** A value as stored on a pipe (binary survives); on a terminal escaped, with a newline (stored-text.ts). */
function writeValue (io: CliIo, answer: ValueAnswer): void {
  io.write(valueOutput(decodeValue(answer), { isTTY: io.stdoutIsTTY }))
}

/** The names of this process's stdin as a file. */
const STDIN_NAMES = /^\/(dev\/stdin|dev\/fd\/0|proc\/self\/fd\/0)$/

async function valueToPut (value: string | undefined, file: string | undefined, io: CliIo): Promise<Uint8Array<ArrayBuffer>> {
  if (value != null && file != null) throw new UsageError('put: give the value as an argument or with --file PATH (- for stdin), not both')
  if (value == null && file == null) throw new UsageError('put: no value: give it as an argument or with --file PATH (- for stdin); an empty value is \'\'')
  if (value != null) return Buffer.from(checkText('the value', value, ': give a binary value with --file PATH (- for stdin)'), 'utf8')
  const path = file as string
  // an unset variable's `--file "$F"`: Node's words were `--file : ENOENT … stat ''` (a probe, 2026-12-03)
  if (path === '') throw new UsageError('--file: the file name is empty: give a PATH, or - for stdin')
  const tooLarge = (): UsageError => new UsageError(`--file ${path}: more than the API's ${MAX_BODY_BYTES}-byte limit for a value`)
  // a file that is there but cannot be read (another user's: EACCES; a socket: ENXIO) is as bad a value as one that is
  // not there: named, exit 2 (it was Node's bare message, exit 1: a probe, 2026-12-03)
  const unreadable = (err: Error): never => { throw new UsageError(`--file ${path}: ${err.message}`) }
  // stdin by its name is stdin, with its checks: through the device, a closed one read as Node's /dev/null, an empty
  // value committed (a probe, 2026-12-03)
  if (path === '-' || STDIN_NAMES.test(path)) {
    const bytes = await io.readStdin(MAX_BODY_BYTES).catch(unreadable)
    if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge()
    return bytes
  }
  const info = await stat(path).catch(unreadable)
  if (info.isDirectory()) throw new UsageError(`--file ${path}: a directory, not a file`)
  if (info.isFile()) {
    if (info.size > MAX_BODY_BYTES) throw new UsageError(`--file ${path}: ${info.size} bytes, over the API's ${MAX_BODY_BYTES}-byte limit for a value`)
    return await readFile(path).catch(unreadable)
  }
  // a pipe or a device (`--file <(gen)`, /dev/stdin): no size to look at before reading
  const bytes = await readUpTo(createReadStream(path), MAX_BODY_BYTES).catch(unreadable)
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge()
  return bytes
}

/** A committed write: the API's JSON, or a line for the block and one for its replication round. */
function printCommit (io: CliIo, flags: ClientFlags, answer: CommitAnswer): void {
  if (flags.json) {
    io.out(JSON.stringify(answer))
    return
  }
  io.out(`committed: chain ${shownName(answer.chainId)} height ${answer.height} hash ${answer.hash}`)
  const r = answer.replication
  if (r != null) io.out(`replication: ${r.state}${r.backups.length > 0 ? ` (backups ${r.backups.map(shownName).join(', ')})` : ''}${r.problem != null ? `: ${visible(r.problem)}` : ''}`)
}

/** Said when a value that starts with '-' (a negative coordinate) was taken for a flag. */
export const VALUE_AFTER_DASHES = 'A value that starts with "-" goes after --: vguard-node put gps/1 -- -27.71,-51.09'

const idempotencyOption = (): Option => new Option('--idempotency-key <key>', 'names the write: sent again with the same key (to any node), it commits once')

/** Off: the answer comes once committed, without the replication round's (a slow link to a backup). */
const replicationWaitOption = (): Option => new Option('--no-replication-wait', 'answer once committed, without waiting for the replication round to the backups (own chain; the block is as durable)')

/** The write's query: whether it waits for its replication round (only said when it does not: the API's default). */
const writeQuery = (flags: { replicationWait?: boolean }): Record<string, string | undefined> => ({ waitForReplication: flags.replicationWait === false ? 'false' : undefined })

/** The header naming a write; a key that is not one is a usage error here (one HTTP cannot carry would not even be sent). */
function idempotencyHeader (key: string | undefined): Record<string, string> {
  if (key == null) return {}
  try {
    checkIdempotencyKey(key)
  } catch (err) {
    throw new UsageError(`--idempotency-key: ${(err as Error).message}, got ${JSON.stringify(key)}`)
  }
  // HTTP drops the spaces around a header's value: ' a' reached the node as 'a', one write with a retry under 'a'
  // and another than the library's ' a'; refused rather than trimmed, so no key means two things (a probe, 2026-12-03)
  if (key.trim() !== key) throw new UsageError(`--idempotency-key: no spaces at its start or end (HTTP drops them: the node would be given another key), got ${JSON.stringify(key)}`)
  return { 'idempotency-key': key }
}

export function dataCommands (io: CliIo): Command[] {
  const status = clientCommand('status', 'show a running node: peers, chains, backups, storage, the shared chain\'s leader')
    .action(async (flags: ClientFlags) => {
      const body = await clientOf(flags).request<StatusBody>({ path: '/status', expect: STATUS_FIELDS })
      if (flags.json) io.out(JSON.stringify(body, null, 2))
      else for (const line of formatStatus(body)) io.out(line)
    })

  const get = clientCommand('get', 'print a key\'s value (raw bytes on a pipe); exit 1 if it has none')
    .argument('<key>')
    .addOption(chainOption())
    .addOption(new Option('--consistency <level>', 'local: this node\'s copy; leader: the chain\'s proposer, linearizable; quorum: Nr holders agree').choices(['local', 'leader', 'quorum']).default('local'))
    .action(async (key: string, flags: ChainFlags & { consistency: string }) => {
      const api = clientOf(flags)
      const chain = await chainOf(api, flags)
      const answer = await api.request<ValueAnswer>({ path: `/chains/${segment(chain)}/kv/${keySegment(key)}`, query: { consistency: flags.consistency }, expect: VALUE_FIELDS })
      if (flags.json) io.out(JSON.stringify(answer))
      else writeValue(io, answer)
    })

  const put = clientCommand('put', 'write a key through booth consensus; answers once committed (exit 3: it may still commit)')
    .argument('<key>')
    .argument('[value]', 'the value as text (or --file)')
    .addOption(chainOption())
    .addOption(new Option('--file <path>', 'read the value from a file, - for stdin'))
    .addOption(idempotencyOption())
    .addOption(replicationWaitOption())
    .addHelpText('after', `\n${VALUE_AFTER_DASHES}`)
    .action(async (key: string, value: string | undefined, flags: ChainFlags & WriteFlags & { file?: string }) => {
      const body = await valueToPut(value, flags.file, io)
      const api = clientOf(flags)
      const chain = await chainOf(api, flags)
      const answer = await api.request<CommitAnswer>({ method: 'PUT', effect: 'commit', path: `/chains/${segment(chain)}/kv/${keySegment(key)}`, query: writeQuery(flags), body, headers: idempotencyHeader(flags.idempotencyKey), expect: COMMIT_FIELDS })
      printCommit(io, flags, answer)
    })

  const del = clientCommand('delete', 'delete a key through booth consensus; answers once committed (exit 3: it may still commit)')
    .argument('<key>')
    .addOption(chainOption())
    .addOption(idempotencyOption())
    .addOption(replicationWaitOption())
    .action(async (key: string, flags: ChainFlags & WriteFlags) => {
      const api = clientOf(flags)
      const chain = await chainOf(api, flags)
      const answer = await api.request<CommitAnswer>({ method: 'DELETE', effect: 'commit', path: `/chains/${segment(chain)}/kv/${keySegment(key)}`, query: writeQuery(flags), headers: idempotencyHeader(flags.idempotencyKey), expect: COMMIT_FIELDS })
      printCommit(io, flags, answer)
    })

  const read = clientCommand('read', 'read another vehicle\'s key with redirect: its proposer first, then its backups; the value on stdout, who served it and the path on stderr')
    .addArgument(new Argument('<chain>', 'the vehicle\'s peer id, or shared').argParser(chainId))
    .argument('<key>')
    .action(async (chain: string, key: string, flags: ClientFlags) => {
      const answer = await clientOf(flags).request<ReadAnswer>({ path: `/chains/${segment(chain)}/read/${keySegment(key)}`, expect: { ...VALUE_FIELDS, path: 'array', 'path[].peerId': 'string', 'path[].outcome': 'string', servedBy: 'string', height: 'number', chainHeight: 'number', epoch: 'number' } })
      if (flags.json) {
        io.out(JSON.stringify(answer))
        return
      }
      writeValue(io, answer)
      const path = answer.path.map(p => `${shownName(p.peerId)} ${visible(p.outcome)}`).join(' → ')
      io.err(`served by ${shownName(answer.servedBy)} at height ${answer.height} (chain height ${answer.chainHeight}, epoch ${answer.epoch}${answer.stale ? ', stale copy' : ''}): ${path}`)
    })

  const blocks = clientCommand('blocks', 'list the blocks of a chain held by the node (one JSON object a line with --json)')
    .addOption(chainOption())
    .addOption(new Option('--from <height>').argParser(parseInteger(1, MAX_HEIGHT)).default(1))
    .addOption(new Option('--to <height>', '[default: the tip]').argParser(parseInteger(1, MAX_HEIGHT)))
    .action(async (flags: ChainFlags & { from: number, to?: number }) => {
      if (flags.to != null && flags.to < flags.from) throw new UsageError('--to must be ≥ --from')
      const api = clientOf(flags)
      const chain = await chainOf(api, flags)
      let width = 0
      for (let from: number | null = flags.from; from != null;) {
        const page: BlocksPage = await api.request<BlocksPage>({ path: `/chains/${segment(chain)}/blocks`, query: { from, to: flags.to, transactions: flags.json ? undefined : 'false' }, expect: { height: 'number', blocks: 'array', 'blocks[].height': 'number', 'blocks[].hash': 'string', 'blocks[].txCount': 'number', 'blocks[].payloadBytes': 'number', 'blocks[].timestamp': 'number', 'blocks[].booth': 'array' } })
        if (!flags.json && width === 0) {
          // pages come one at a time: the tip's height sets the column for all of them
          width = Math.max('height'.length, String(page.height).length)
          io.out(`${'height'.padStart(width)}  ${'hash'.padEnd(64)}  ${'txs'.padStart(5)}  ${'bytes'.padStart(9)}  booth  time`)
        }
        for (const b of page.blocks) {
          if (flags.json) io.out(JSON.stringify(b))
          else io.out(`${String(b.height).padStart(width)}  ${b.hash}  ${String(b.txCount).padStart(5)}  ${String(b.payloadBytes).padStart(9)}  ${String(b.booth.length).padStart(5)}  ${new Date(b.timestamp).toISOString()}${b.pruned ? '  pruned' : ''}`)
        }
        from = io.stdoutClosed() ? null : page.next
      }
    })

  const keys = clientCommand('keys', 'list a chain\'s keys in key order from the node\'s copy, or with --redirect from its holders (one JSON object a line with --json)')
    .addOption(chainOption())
    .addOption(new Option('--prefix <text>', 'only keys that start with it'))
    .addOption(new Option('--after <key>', 'only keys after it (where a listing cut short goes on)'))
    .addOption(new Option('--limit <n>', 'list at most this many [default: all]').argParser(parseInteger(1)))
    .addOption(new Option('--values', 'print each value after its key and a tab (binary ones as base64:…)').default(false))
    .addOption(new Option('--redirect', 'read the chain as `read` does, for one this node does not hold: its proposer first, then its backups (who served each page, and the path, on stderr)').default(false))
    .action(async (flags: ChainFlags & { prefix?: string, after?: string, limit?: number, values: boolean, redirect: boolean }) => {
      const prefix = flags.prefix == null ? undefined : checkText('--prefix', flags.prefix)
      let after = flags.after == null ? undefined : checkText('--after', flags.after)
      const api = clientOf(flags)
      const chain = await chainOf(api, flags)
      const values = flags.values || flags.json
      let left = flags.limit ?? Number.POSITIVE_INFINITY
      let servedBy: string | undefined
      while (left > 0 && !io.stdoutClosed()) {
        const page = await api.request<KeysPage>({
          path: `/chains/${segment(chain)}/${flags.redirect ? 'read' : 'kv'}`,
          query: { prefix, after, limit: Math.min(left, MAX_KEYS_PER_PAGE), values: values ? undefined : 'false' },
          expect: { entries: 'array', 'entries[].key': 'string', 'entries[].height': 'number' }
        })
        for (const e of page.entries) {
          if (flags.json) io.out(JSON.stringify(e))
          else if (!flags.values) io.out(shownName(e.key))
          // a value in a listing shares its line with the key: escaped always, as the key is
          else io.out(`${shownName(e.key)}\t${e.pruned === true ? '(pruned)' : e.encoding === 'base64' ? `base64:${e.value ?? ''}` : shownName(e.value ?? '')}`)
        }
        // a redirect read says who served it: once, and again when a later page comes from another holder
        // (on stderr, with --json too: the entries on stdout do not say whether the copy listed was stale)
        if (flags.redirect && page.servedBy != null && page.servedBy !== servedBy) {
          servedBy = page.servedBy
          const path = (page.path ?? []).map(p => `${shownName(p.peerId)} ${visible(p.outcome)}`).join(' → ')
          io.err(`served by ${shownName(page.servedBy)} (chain height ${String(page.chainHeight)}, epoch ${String(page.epoch)}${page.stale === true ? ', stale copy' : ''}): ${path}`)
        }
        left -= page.entries.length
        if (page.next == null) break
        after = page.next
      }
    })

  return [status, get, put, del, read, blocks, keys]
}
