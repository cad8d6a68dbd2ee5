/**
 * A ConfigError names the library's options (`readQuorum`, `allowedPeers`);
 * the operator typed flags. Each option the CLI sets is said as its flag.
 */
const FLAG_OF_OPTION: Record<string, string> = {
  dataDir: '--data-dir',
  listen: '--listen',
  announce: '--announce',
  network: '--network',
  bootstrap: '--bootstrap',
  mdnsInterval: '--mdns-interval',
  kBackups: '--k-backups',
  boothSize: '--booth-size',
  capacity: '--capacity',
  diskReserve: '--disk-reserve',
  allowedPeers: '--allow',
  priority: '--priority',
  readQuorum: '--read-quorum',
  commitTimeout: '--commit-timeout',
  memberChains: '--member-chains',
  memberUndecidedBytes: '--member-undecided-bytes',
  memberIdle: '--member-idle',
  backupAway: '--backup-away',
  retention: '--retention',
  retentionBytes: '--retention-bytes',
  pruneInterval: '--prune-interval',
  unclaimedGrace: '--unclaimed-grace',
  maxForwardPointers: '--max-forward-pointers',
  maxTableHints: '--max-table-hints'
}

// camelCase names are never words of a sentence: replaced wherever they are; the
// others (listen, network, …) only where they name the option, before the colon
const CAMEL_NAMES = new RegExp(`\\b(${Object.keys(FLAG_OF_OPTION).filter(n => /[A-Z]/.test(n)).join('|')})\\b`, 'g')

/** The message with the option names the CLI sets said as their flags. */
export function inFlags (message: string): string {
  return message
    .replace(/^(\w+):/, (whole, name: string) => FLAG_OF_OPTION[name] != null ? `${FLAG_OF_OPTION[name]}:` : whole)
    .replace(CAMEL_NAMES, (name) => FLAG_OF_OPTION[name])
}
