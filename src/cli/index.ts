/**
 * The vguard-node command line. Flags may also come from VGUARD_* environment
 * variables (flags win). Bad flags or values: one line on stderr, exit code 2.
 * `start`, `id` and `demo` run nodes; status, get, put, delete, read, blocks
 * and keys (data-commands.ts), and pins, pin and unpin (pin-commands.ts), are
 * clients of a running node's HTTP API.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { peerIdOf } from '../node/index.ts'
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT } from '../http/server.ts'
import {
  DEFAULT_BOOTH_SIZE, DEFAULT_CAPACITY, DEFAULT_DISK_RESERVE, DEFAULT_K_BACKUPS, DEFAULT_MDNS_INTERVAL, DEFAULT_NETWORK,
  DEFAULT_PRIORITY, DEFAULT_COMMIT_TIMEOUT, DEFAULT_MEMBER_CHAINS, DEFAULT_MEMBER_UNDECIDED_BYTES, DEFAULT_MEMBER_IDLE, MAX_BACKUP_AWAY, DEFAULT_RETENTION, DEFAULT_PRUNE_INTERVAL, MAX_PRIORITY, MAX_RETENTION,
  DEFAULT_MAX_FORWARD_POINTERS, DEFAULT_MAX_TABLE_HINTS, MAX_KEPT_TABLES
} from '../node/config.ts'
import { collectHostNames, collectMultiaddrs, parseBoolean, parseBytes, parseHostPort, parseInteger, refuseTypedNothing } from './options.ts'
import type { HostPort } from './options.ts'
import { runStart } from './start.ts'
import { runDemo } from './demo.ts'
import { VERSION } from '../node/version.ts'
import { dataCommands, VALUE_AFTER_DASHES } from './data-commands.ts'
import { pinCommands } from './pin-commands.ts'
import { processIo } from './io.ts'
import type { CliIo } from './io.ts'
import { UsageError } from './usage-error.ts'
import { inFlags } from './config-error.ts'
import { NodeUnreachableError } from './api-client.ts'
import type { ApiError } from './api-client.ts'
import { visible } from './status-format.ts'

export { UsageError }

export const EXIT_USAGE = 2
/**
 * A write whose outcome is not known: the node answered that it may still commit (the body's
 * mayHaveCommitted), or took the request whole and did not answer. Not 1, which says it failed.
 */
export const EXIT_MAY_HAVE_COMMITTED = 3

const DEFAULT_DATA_DIR = join(homedir(), '.vguard-node')

function dataDirOption (): Option {
  return new Option('--data-dir <dir>', 'where the key, the database and the block payload files live').env('VGUARD_DATA_DIR').default(DEFAULT_DATA_DIR)
}

interface StartFlags {
  dataDir: string
  listen?: string[]
  announce?: string[]
  http: HostPort
  httpAllowHost?: string[]
  network: string
  bootstrap?: string[]
  mdns: boolean
  mdnsInterval: number
  kBackups?: number
  boothSize: number
  capacity: number
  diskReserve: number
  allow?: string[]
  priority: number
  readQuorum?: number
  commitTimeout: number
  memberChains: number
  memberUndecidedBytes: number
  memberIdle: number
  backupAway?: number
  retention: number
  retentionBytes?: number
  pruneInterval: number
  unclaimedGrace?: number
  maxForwardPointers: number
  maxTableHints: number
}

function buildProgram (io: CliIo): Command {
  const { out, err } = io
  const program = new Command('vguard-node')
    .description('VGuardDB storage node for the V-Guard vehicular blockchain')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    // commander's errors quote what was typed: escaped, line by line (until 2026-12-03 an ESC sequence in a flag's
    // value reached the terminal as one); its help is ours, and has none
    .configureOutput({ writeOut: (s) => { out(s.trimEnd()) }, writeErr: (s) => { err(escapedLines(s.trimEnd())) } })
    .showHelpAfterError(false)

  const start = program.command('start')
    .description('start a vehicle node and its local HTTP API (stops cleanly on SIGINT, SIGTERM or SIGHUP)')
    .addOption(dataDirOption())
    .addOption(new Option('--listen <multiaddr>', 'libp2p listen address, repeatable [default: /ip4/0.0.0.0/tcp/0]').env('VGUARD_LISTEN').argParser(collectMultiaddrs))
    .addOption(new Option('--announce <multiaddr>', 'address to announce instead of the listen addresses, repeatable').env('VGUARD_ANNOUNCE').argParser(collectMultiaddrs))
    .addOption(new Option('--http <host:port>', 'local HTTP API address; port 0 picks a free port').env('VGUARD_HTTP').argParser(parseHostPort).default({ host: DEFAULT_HTTP_HOST, port: DEFAULT_HTTP_PORT }, `${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}`))
    .addOption(new Option('--http-allow-host <name>', 'a host name requests may name the HTTP API by, besides its addresses and localhost (others are refused: DNS rebinding), repeatable (comma-separated in the env var)').env('VGUARD_HTTP_ALLOW_HOSTS').argParser(collectHostNames))
    .addOption(new Option('--network <name>', 'network name (mDNS tag, topics; peers of other networks are refused)').env('VGUARD_NETWORK').default(DEFAULT_NETWORK))
    .addOption(new Option('--bootstrap <multiaddr>', 'peer to dial: with /p2p/<id>, or a bare address such as /dns4/tasks.vehicle/tcp/4001 (dialled while no peer is known); repeatable, comma-separated in the env var').env('VGUARD_BOOTSTRAP').argParser(collectMultiaddrs))
    .addOption(new Option('--no-mdns', 'disable mDNS discovery').env('VGUARD_NO_MDNS'))
    .addOption(new Option('--mdns-interval <ms>', 'mDNS query interval').env('VGUARD_MDNS_INTERVAL').argParser(parseInteger(100, 3_600_000)).default(DEFAULT_MDNS_INTERVAL))
    .addOption(new Option('--k-backups <n>', `backups per chain (k); booths give at most the booth size − 1 [default: ${DEFAULT_K_BACKUPS}, or the booth size − 1 if that is less]`).env('VGUARD_K_BACKUPS').argParser(parseInteger(0, 64)))
    .addOption(new Option('--booth-size <n>', 'booth size including the proposer').env('VGUARD_BOOTH_SIZE').argParser(parseInteger(1, 64)).default(DEFAULT_BOOTH_SIZE))
    .addOption(new Option('--capacity <bytes>', 'storage capacity, e.g. 1073741824 or 1GiB').env('VGUARD_CAPACITY').argParser(parseBytes).default(DEFAULT_CAPACITY))
    .addOption(new Option('--disk-reserve <bytes>', 'disk space kept free for this vehicle\'s own chain: copies of other vehicles\' chains are refused beyond it, whatever --capacity says').env('VGUARD_DISK_RESERVE').argParser(parseBytes).default(DEFAULT_DISK_RESERVE, '64MiB'))
    .addOption(new Option('--retention <ms>', 'τ: payloads of other vehicles\' chains held as temporary storage are pruned this long after their block was committed').env('VGUARD_RETENTION').argParser(parseInteger(0, MAX_RETENTION)).default(DEFAULT_RETENTION, '86400000 (24 h)'))
    .addOption(new Option('--retention-bytes <bytes>', 'size bound of that temporary storage: beyond it the oldest payloads go first [default: the capacity]').env('VGUARD_RETENTION_BYTES').argParser(parseBytes))
    .addOption(new Option('--prune-interval <ms>', 'how often retention runs').env('VGUARD_PRUNE_INTERVAL').argParser(parseInteger(100, 24 * 3_600_000)).default(DEFAULT_PRUNE_INTERVAL))
    .addOption(new Option('--unclaimed-grace <ms>', 'how long a copy no backup table names this node active for (a fresh backup\'s table on its way) is kept whole before retention may prune it [default: the larger of --retention and 15 min]').env('VGUARD_UNCLAIMED_GRACE').argParser(parseInteger(0, MAX_RETENTION)))
    .addOption(new Option('--max-forward-pointers <n>', 'forward pointers kept (tables of chains this node backed up and holds no copy of, to redirect readers): past it the one used longest ago is dropped').env('VGUARD_MAX_FORWARD_POINTERS').argParser(parseInteger(1, MAX_KEPT_TABLES)).default(DEFAULT_MAX_FORWARD_POINTERS))
    .addOption(new Option('--max-table-hints <n>', 'backup tables of other vehicles\' chains kept as hints (heard by gossip or in a read): past it the one adopted longest ago is forgotten').env('VGUARD_MAX_TABLE_HINTS').argParser(parseInteger(1, MAX_KEPT_TABLES)).default(DEFAULT_MAX_TABLE_HINTS))
    .addOption(new Option('--priority <n>', 'priority to lead the shared chain (higher first; ties: greater peer id)').env('VGUARD_PRIORITY').argParser(parseInteger(0, MAX_PRIORITY)).default(DEFAULT_PRIORITY))
    .addOption(new Option('--read-quorum <n>', 'Nr: holders a quorum read needs agreeing; Nr + Nw must exceed the booth size [default: booth size - majority + 1]').env('VGUARD_READ_QUORUM').argParser(parseInteger(1, 64)))
    .addOption(new Option('--commit-timeout <ms>', 'how long a write may take to commit before it fails (503); a committed write answers by then').env('VGUARD_COMMIT_TIMEOUT').argParser(parseInteger(1, 120_000)).default(DEFAULT_COMMIT_TIMEOUT))
    .addOption(new Option('--member-chains <n>', 'other vehicles\' booths this node serves at once (the quietest gives way to a new one)').env('VGUARD_MEMBER_CHAINS').argParser(parseInteger(0, 65_536)).default(DEFAULT_MEMBER_CHAINS))
    .addOption(new Option('--member-undecided-bytes <bytes>', 'undecided values those booths may hold together (past it, each gets what one vehicle has in flight at most)').env('VGUARD_MEMBER_UNDECIDED_BYTES').argParser(parseBytes).default(DEFAULT_MEMBER_UNDECIDED_BYTES, '256MiB'))
    .addOption(new Option('--member-idle <ms>', 'how long a vehicle that left is remembered: a booth member whose proposer is silent this long drops the values it kept; a vehicle disconnected this long stops being a shared-chain candidate and, if it backs up our chain, is replaced (see --backup-away)').env('VGUARD_MEMBER_IDLE').argParser(parseInteger(100, 24 * 3_600_000)).default(DEFAULT_MEMBER_IDLE))
    .addOption(new Option('--backup-away <ms>', 'how long a backup of this vehicle\'s chain may stay disconnected before another member is sent the chain in its place (the whole chain, to one that holds none); 0: only this vehicle\'s writes replace backups [default: --member-idle]').env('VGUARD_BACKUP_AWAY').argParser(parseInteger(0, MAX_BACKUP_AWAY)))
    .addOption(new Option('--allow <peer-id>', 'only these peers may take part, repeatable (comma-separated in the env var)').env('VGUARD_ALLOW').argParser((v: string, prev?: string[]) => [...(prev ?? []), ...v.split(',').map(s => s.trim()).filter(s => s !== '')]))
    .action(async (flags: StartFlags, command: Command) => {
      // commander treats a boolean flag's env var as set whatever its value:
      // VGUARD_NO_MDNS=0 would disable mDNS, so read the value ourselves
      // an empty VGUARD_LISTEN gives no address: said of the variable, not of a flag nobody typed
      if (command.getOptionValueSource('listen') === 'env' && flags.listen?.length === 0) {
        throw new UsageError(`VGUARD_LISTEN: expected one or more multiaddrs (comma-separated), got ${JSON.stringify(process.env.VGUARD_LISTEN)}`)
      }
      if (command.getOptionValueSource('mdns') === 'env') {
        try {
          flags.mdns = !parseBoolean(process.env.VGUARD_NO_MDNS ?? '')
        } catch {
          throw new UsageError(`VGUARD_NO_MDNS: expected 1, true, yes or on (mDNS off), or 0, false, no or off (mDNS on), got ${JSON.stringify(process.env.VGUARD_NO_MDNS)}`)
        }
      }
      await runStart({
        dataDir: flags.dataDir,
        listen: flags.listen,
        announce: flags.announce,
        network: flags.network,
        bootstrap: flags.bootstrap,
        mdns: flags.mdns,
        mdnsInterval: flags.mdnsInterval,
        kBackups: flags.kBackups,
        boothSize: flags.boothSize,
        capacity: flags.capacity,
        diskReserve: flags.diskReserve,
        allowedPeers: flags.allow,
        priority: flags.priority,
        readQuorum: flags.readQuorum,
        commitTimeout: flags.commitTimeout,
        memberChains: flags.memberChains,
        memberUndecidedBytes: flags.memberUndecidedBytes,
        memberIdle: flags.memberIdle,
        backupAway: flags.backupAway,
        retention: flags.retention,
        retentionBytes: flags.retentionBytes,
        pruneInterval: flags.pruneInterval,
        unclaimedGrace: flags.unclaimedGrace,
        maxForwardPointers: flags.maxForwardPointers,
        maxTableHints: flags.maxTableHints,
        http: flags.http,
        httpAllowHosts: flags.httpAllowHost
      }, out)
    })
  // the lists whose default is none: typed empty, a mistake (--listen and --allow refuse an empty list whatever gave it)
  refuseTypedNothing(start, 'announce', 'multiaddrs')
  refuseTypedNothing(start, 'bootstrap', 'multiaddrs')
  refuseTypedNothing(start, 'http-allow-host', 'host names')
  // and one typed empty beside a good one: only the list was checked, so `--listen '' --listen X` went by unseen (a probe, 2026-12-03)
  refuseTypedNothing(start, 'listen', 'multiaddrs')
  refuseTypedNothing(start, 'allow', 'peer ids')

  program.command('id')
    .description('print this node\'s peer id (creates the key if needed; works beside a running node)')
    .addOption(dataDirOption())
    .action(async (flags: { dataDir: string }) => {
      // the key file alone: the database may be locked by the node running on this dir
      out(await peerIdOf(flags.dataDir))
    })

  program.command('demo')
    .description('run a local swarm of vehicles and show them in a live table')
    .addOption(new Option('--vehicles <n>', 'number of vehicles').argParser(parseInteger(2, 50)).default(5))
    .addOption(new Option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)').argParser(parseInteger(1, 86_400)))
    .addOption(new Option('--no-netns', 'do not use a private network namespace even when possible'))
    .action(async (flags: { vehicles: number, duration?: number, netns: boolean }) => {
      await runDemo(flags, out)
    })

  // addCommand does not pass on exitOverride and the output settings as program.command() does
  for (const command of [...dataCommands(io), ...pinCommands(io)]) program.addCommand(command.copyInheritedSettings(program))

  return program
}

/** Each line of `text` escaped (visible), the line breaks kept: a message of several lines stays readable. */
function escapedLines (text: string): string {
  return text.split('\n').map(visible).join('\n')
}

/** Commander's errors about what the command line holds (not a value's): the list of flags answers them. */
const NEEDS_HELP_POINTER = new Set(['commander.unknownOption', 'commander.unknownCommand', 'commander.missingArgument', 'commander.optionMissingArgument', 'commander.excessArguments'])

/** Where a usage error's reader finds the usage: the command's own help when one was named. */
function helpPointer (program: Command, argv: string[]): string {
  const named = program.commands.find(c => c.name() === argv[0] || c.aliases().includes(argv[0] ?? ''))
  // the demo's users run it as the README says
  if (named?.name() === 'demo' && process.env.npm_lifecycle_event === 'demo') return '(npm run demo -- --help lists its flags)'
  return named != null
    ? `(vguard-node ${named.name()} --help lists its arguments and flags)`
    : '(vguard-node --help lists the commands)'
}

/**
 * Whether put's unknown option is a value taken for a flag, which VALUE_AFTER_DASHES says how to give: one where the
 * value goes (after the key alone, no --file given), unless commander took it for a typo of a flag it names, or one
 * shaped as a number or a coordinate (-27.71,-51.09) wherever it is. Until 2026-12-03 every unknown option got that
 * hint, a flag's typo (`put --htp …`) too (a probe, 2026-12-03).
 */
function valueTakenForFlag (program: Command, args: string[], message: string): boolean {
  const put = program.commands.find(c => c.name() === 'put')
  if (put == null) return false
  // parsed again only as far as the first unknown option, as the first time, which got that far
  const { operands, unknown } = put.parseOptions(args)
  const option = unknown[0] ?? ''
  if (/^-[\d.]/.test(option)) return true
  // with --file there is no value's place: the option is a flag's typo
  return operands.length === 1 && put.getOptionValue('file') == null && !message.includes('(Did you mean ')
}

/**
 * Statuses of the API that mean the request itself was bad: a usage error of the CLI's. 414 and 431 too: a key,
 * prefix or chain id too long for a request's head is input too long, not a failure of the node (they were exit 1:
 * a probe, 2026-12-03).
 */
const BAD_REQUEST_STATUSES = new Set([400, 413, 414, 415, 431])

/**
 * An API error as the CLI shows it: its message and name, then where a read
 * went, if it says. Each line escaped (visible): a node of an earlier version
 * passes a peer's text on raw, and whatever answers at the address as a node
 * may write what it likes (until 2026-12-03 CR/LF, ANSI escapes and bidi
 * overrides in it reached the terminal).
 */
function apiErrorLines (e: ApiError): string[] {
  const lines = [`error: ${e.message} (${e.errorName}, HTTP ${e.status})`]
  const { tried, path } = e.details as { tried?: unknown, path?: unknown }
  // holders as the API lists them ({ peerId, outcome, error }); the message already says each one's error
  const holder = (t: unknown): string => typeof t === 'object' && t != null && 'peerId' in t ? `${String(t.peerId)} ${'outcome' in t ? String(t.outcome) : ''}`.trimEnd() : String(t)
  if (Array.isArray(tried) && tried.length > 0) lines.push(`tried: ${tried.map(holder).join(', ')}`)
  if (Array.isArray(path) && path.length > 0) lines.push(`path: ${(path as Array<{ peerId: string, outcome: string }>).map(p => `${p.peerId} ${p.outcome}`).join(' → ')}`)
  return lines.map(visible)
}

/**
 * Runs the CLI; resolves to the process exit code: 0 ok, 1 runtime failure
 * (data dir in use, no node answering, a key with no value, no quorum), 2 bad
 * usage (flags, values, or a request the node refused as bad: HTTP 400/413/414/415/431),
 * 3 a write that may still commit (EXIT_MAY_HAVE_COMMITTED).
 */
export async function main (argv: string[], io: CliIo = processIo({ warnOnStdoutFailure: argv[0] === 'start' })): Promise<number> {
  const program = buildProgram(io)
  const { err } = io
  // commander shows the list for a command it does not know asked for its help (help frob, frob --help), and
  // says nothing of it
  const named = argv[0] === 'help' ? argv[1] : argv[0]
  if (named != null && !named.startsWith('-') && named !== 'help' && !program.commands.some(c => c.name() === named || c.aliases().includes(named))) {
    err(`error: unknown command '${visible(named)}'`)
    err(helpPointer(program, []))
    return EXIT_USAGE
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
    // a client's answer that did not reach its file is a failure; a node (start) lived on without its log
    const failure = argv[0] === 'start' ? undefined : await io.stdoutFailure()
    if (failure != null) {
      err(`error: the output is incomplete: ${failure.message}`)
      return 1
    }
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      // 'commander.help' with a non-zero code is the usage shown for a missing command
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) {
        // --version or --help into a full disk printed nothing and said ok
        const failure = await io.stdoutFailure()
        if (failure == null) return 0
        err(`error: the output is incomplete: ${failure.message}`)
        return 1
      }
      if (e.code === 'commander.unknownOption' && argv[0] === 'put' && valueTakenForFlag(program, argv.slice(1), e.message)) err(VALUE_AFTER_DASHES)
      // everything after -- is an argument: a flag there is taken for a value
      const dashes = argv.indexOf('--')
      if (e.code === 'commander.excessArguments' && dashes >= 0 && argv.slice(dashes + 1).some(a => a.startsWith('--'))) err('Flags go before --: everything after it is an argument (vguard-node put --http HOST:PORT gps/1 -- -27.71,-51.09)')
      // a bad value's message says what it takes; a flag or argument that is not there, or not known, points at the list
      if (NEEDS_HELP_POINTER.has(e.code)) err(helpPointer(program, argv))
      return EXIT_USAGE
    }
    const error = e as Error
    if (error.name === 'ApiError') {
      const apiError = error as ApiError
      for (const line of apiErrorLines(apiError)) err(line)
      if (apiError.mayHaveCommitted != null) {
        err(`the write may still commit (the node's answer says mayHaveCommitted): ${apiError.mayHaveCommitted.retry}`)
        return EXIT_MAY_HAVE_COMMITTED
      }
      return BAD_REQUEST_STATUSES.has(apiError.status) ? EXIT_USAGE : 1
    }
    if (error.name === 'ConfigError' || error.name === 'UsageError') {
      err(`error: ${escapedLines(error.name === 'ConfigError' ? inFlags(error.message) : error.message)}`)
      return EXIT_USAGE
    }
    // its lines as they are, each escaped: a NodeUnreachableError quotes what answered at the address
    err(`error: ${escapedLines(error.message)}`)
    // its message says the write may still commit, and how to retry it
    return error instanceof NodeUnreachableError && error.mayHaveCommitted ? EXIT_MAY_HAVE_COMMITTED : 1
  }
}
