import { describe, it, expect } from 'vitest'
import { resolveConfig, ConfigError, DEFAULT_K_BACKUPS, DEFAULT_BOOTH_SIZE, MIN_DEFAULT_UNCLAIMED_GRACE, MAX_KEPT_TABLES } from '../../../src/node/config.ts'
import { DEFAULT_MAX_HINT_TABLES, DEFAULT_MAX_POINTER_TABLES } from '../../../src/backup/index.ts'
import type { VGuardNodeOptions } from '../../../src/node/config.ts'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { mdnsServiceTag } from '../../../src/node/libp2p.ts'
import { networkOfAgent, agentVersion } from '../../../src/protocols/agent.ts'

describe('node - config', () => {
  it('fills safe defaults', () => {
    const config = resolveConfig({ dataDir: '/tmp/x' })
    expect(config.network).toBe('vguard')
    expect(config.mdns).toBe(true)
    expect(config.kBackups).toBe(DEFAULT_K_BACKUPS)
    expect(config.boothSize).toBe(DEFAULT_BOOTH_SIZE)
    expect(config.bootstrap).toEqual([])
  })

  it('keeps an unclaimed copy whole for the larger of τ and 15 min by default, or for the grace given', () => {
    expect(resolveConfig({ dataDir: '/tmp/x' }).unclaimedGrace).toBe(86_400_000)
    // a small τ must not prune a fresh backup's copy before its table comes (found in review)
    expect(resolveConfig({ dataDir: '/tmp/x', retention: 0 }).unclaimedGrace).toBe(MIN_DEFAULT_UNCLAIMED_GRACE)
    expect(resolveConfig({ dataDir: '/tmp/x', retention: 0, unclaimedGrace: 500 }).unclaimedGrace).toBe(500)
  })

  it('takes a backup away for as long as a vehicle that left is remembered, unless told otherwise (0: never)', () => {
    expect(resolveConfig({ dataDir: '/tmp/x' }).backupAway).toBe(60_000)
    expect(resolveConfig({ dataDir: '/tmp/x', memberIdle: 5_000 }).backupAway).toBe(5_000)
    expect(resolveConfig({ dataDir: '/tmp/x', memberIdle: 5_000, backupAway: 0 }).backupAway).toBe(0)
    expect(resolveConfig({ dataDir: '/tmp/x', backupAway: 3_600_000 })).toMatchObject({ memberIdle: 60_000, backupAway: 3_600_000 })
  })

  it('caps the forward pointers and hints kept as the backup table store does by default, or as given', () => {
    expect(resolveConfig({ dataDir: '/tmp/x' })).toMatchObject({ maxForwardPointers: DEFAULT_MAX_POINTER_TABLES, maxTableHints: DEFAULT_MAX_HINT_TABLES })
    expect(resolveConfig({ dataDir: '/tmp/x', maxForwardPointers: 1, maxTableHints: MAX_KEPT_TABLES })).toMatchObject({ maxForwardPointers: 1, maxTableHints: MAX_KEPT_TABLES })
  })

  it.each([
    [{ network: 'bad name' }, /network/],
    // the rule docs/operations.md gives: the message says all of it (".x" broke no rule it named)
    [{ network: '.x' }, /^network: 1-63 letters, digits, '\.', '_' or '-', the first a letter or digit, got "\.x"$/],
    [{ network: 'x'.repeat(64) }, /^network: 1-63 /],
    [{ listen: ['not-an-addr'] }, /listen/],
    // TCP is the node's one transport
    [{ listen: ['/ip4/127.0.0.1/udp/0/quic-v1'] }, /listen: .* is not a TCP address to listen on/],
    [{ listen: ['/ip4/127.0.0.1/tcp/0/ws'] }, /listen: .* is not a TCP address to listen on/],
    [{ listen: ['/ip4/127.0.0.1'] }, /listen: .* is not a TCP address to listen on/],
    [{ listen: ['/dns4/example.com/tcp/1'] }, /listen: .* is not a TCP address to listen on/],
    [{ bootstrap: ['garbage'] }, /bootstrap/],
    // the parser takes any text after /p2p/: libp2p threw on it once started, with a key and database made
    [{ bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/notapeer'] }, /^bootstrap: \/ip4\/127\.0\.0\.1\/tcp\/1\/p2p\/notapeer: "notapeer" is not a peer id$/],
    [{ announce: ['/ip4/1.2.3.4/tcp/1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'] }, /^announce: .*: leave out \/p2p\/ \(the node adds its own peer id/],
    // an env file's ~ that no shell expanded: a dir named '~' in the working directory
    [{ dataDir: '~/vg' }, /^dataDir: "~\/vg" starts with '~', which no shell expanded here/],
    [{ dataDir: '~' }, /^dataDir: "~" starts with '~'/],
    // fs threw its own TypeError for it
    [{ dataDir: '/tmp/a\0b' }, /^dataDir: "\/tmp\/a\\u0000b" holds a NUL byte/],
    // null was the default for numbers and refused for mdns: one rule
    [{ kBackups: null }, /^kBackups: null is no value; leave the option out/],
    [{ mdns: null }, /^mdns: null is no value/],
    [{ kBackups: -1 }, /kBackups/],
    [{ boothSize: 0 }, /boothSize/],
    // the ranges the CLI documents
    [{ priority: -1 }, /^priority: must be an integer from 0 to 1000000, got -1$/],
    [{ priority: 1e12 }, /^priority: /],
    [{ retention: 1e15 }, /^retention: must be an integer from 0 to 315360000000/],
    [{ unclaimedGrace: -1 }, /^unclaimedGrace: must be an integer from 0 to 315360000000/],
    [{ backupAway: -1 }, /^backupAway: must be an integer from 0 to 604800000/],
    // Node's timers hold 24.8 days: a longer one would fire at once
    [{ backupAway: 30 * 24 * 3_600_000 }, /^backupAway: must be an integer from 0 to 604800000/],
    [{ capacity: 1.5 }, /capacity/],
    // a cap of 0 would keep no forward pointer: a backup just released could not redirect a reader at all
    [{ maxForwardPointers: 0 }, /^maxForwardPointers: must be an integer from 1 to 1048576, got 0$/],
    [{ maxForwardPointers: -1 }, /^maxForwardPointers: must be an integer from 1 to 1048576, got -1$/],
    [{ maxForwardPointers: 2.5 }, /^maxForwardPointers: must be an integer from 1 to 1048576, got 2\.5$/],
    [{ maxForwardPointers: '8' }, /^maxForwardPointers: must be an integer from 1 to 1048576, got "8" \(string\)$/],
    [{ maxForwardPointers: 2 ** 21 }, /^maxForwardPointers: must be an integer from 1 to 1048576/],
    [{ maxForwardPointers: null }, /^maxForwardPointers: null is no value/],
    [{ maxTableHints: 0 }, /^maxTableHints: must be an integer from 1 to 1048576, got 0$/],
    [{ maxTableHints: -5 }, /^maxTableHints: must be an integer from 1 to 1048576, got -5$/],
    [{ maxTableHints: 0.5 }, /^maxTableHints: must be an integer from 1 to 1048576, got 0\.5$/],
    [{ maxTableHints: 'many' }, /^maxTableHints: must be an integer from 1 to 1048576, got "many" \(string\)$/],
    // a smaller reserve let a copy fill a probe's disk and keep the database from opening again
    [{ diskReserve: 1024 * 1024 }, /^diskReserve: must be an integer of at least 33554432 \(32 MiB: LevelDB's log and compactions need that room; .*\), got 1048576$/],
    [{ diskReserve: 0 }, /^diskReserve: must be an integer of at least/],
    [{ mdnsInterval: 5 }, /mdnsInterval/],
    [{ allowedPeers: ['nope'] }, /allowedPeers/],
    // a probe's VGUARD_ALLOW= started a vehicle that refused everyone and kept a shared chain of its own
    [{ allowedPeers: [] }, /^allowedPeers: at least one peer id \(an empty list would refuse every peer/],
    [{ dataDir: '' }, /dataDir/],
    // what Node makes of a path's bytes that are not UTF-8: another dir than the one named
    [{ dataDir: '/tmp/veh\uFFFD' }, /^dataDir: "\/tmp\/veh\uFFFD" has bytes that are not UTF-8/],
    // what a JavaScript caller may hand over
    [{ mDNS: false }, /^mDNS: not an option \(a typo\?\); the options are dataDir, listen, /],
    [{ listen: '/ip4/127.0.0.1/tcp/0' }, /^listen: must be an array of strings/],
    [{ bootstrap: [42] }, /^bootstrap: must be an array of strings/],
    [{ mdns: 'false' }, /^mdns: must be true or false, got "false"$/],
    [{ network: 123 }, /^network: must be a string, got 123$/],
    // "got 2" for the string '2' read as if 2 itself were refused
    [{ kBackups: '2' }, /^kBackups: must be an integer from 0 to 64, got "2" \(string\)$/],
    [{ dataDir: 5 }, /^dataDir: must be a path \(a string\), got 5 \(number\)$/]
  ] as Array<[object, RegExp]>)('rejects %j with a ConfigError', (bad, message) => {
    const options = { dataDir: '/tmp/x', ...bad } as VGuardNodeOptions
    expect(() => resolveConfig(options)).toThrow(ConfigError)
    expect(() => resolveConfig(options)).toThrow(message)
  })

  it('shows a value JSON cannot in its message (the message itself threw a TypeError for a BigInt)', () => {
    expect(() => resolveConfig({ dataDir: '/tmp/x', capacity: 10n } as unknown as VGuardNodeOptions)).toThrow(/^capacity: must be an integer from 0 to \d+, got 10n \(bigint\)$/)
    expect(() => resolveConfig({ dataDir: '/tmp/x', listen: [1n] } as unknown as VGuardNodeOptions)).toThrow(/^listen: must be an array of strings, got \[bigint\]$/)
  })

  it('refuses no options at all with a ConfigError, and makes a relative data dir absolute', () => {
    for (const none of [undefined, null, 'dir', []]) {
      expect(() => resolveConfig(none as unknown as VGuardNodeOptions)).toThrow(/^options: an object is required/)
    }
    expect(resolveConfig({ dataDir: 'vehicle-1' }).dataDir).toBe(join(process.cwd(), 'vehicle-1'))
  })

  it('takes a bootstrap address with a valid peer id, a dir named ~x, and one fixed listen port given twice once (port 0 twice asks for two ports)', () => {
    const id = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
    expect(resolveConfig({ dataDir: '/tmp/x', bootstrap: [`/ip4/127.0.0.1/tcp/1/p2p/${id}`] }).bootstrap).toHaveLength(1)
    expect(resolveConfig({ dataDir: '~x' }).dataDir).toBe(join(process.cwd(), '~x'))
    expect(resolveConfig({ dataDir: '/tmp/x', listen: ['/ip4/127.0.0.1/tcp/7411', '/ip4/127.0.0.1/tcp/7411', '/ip4/127.0.0.1/tcp/7412'] }).listen)
      .toEqual(['/ip4/127.0.0.1/tcp/7411', '/ip4/127.0.0.1/tcp/7412'])
    expect(resolveConfig({ dataDir: '/tmp/x', listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0'] }).listen).toHaveLength(2)
  })

  it('takes allowed peers in any form of a peer id, as the form peers are known by (a CID form was refused, unsaid), once each', async () => {
    const key = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key)
    const config = resolveConfig({ dataDir: '/tmp/x', allowedPeers: [id.toCID().toString(), id.toString()] })
    expect(id.toCID().toString()).not.toBe(id.toString())
    expect(config.allowedPeers).toEqual([id.toString()])
  })

  it('takes a bootstrap address naming its peer in any form of a peer id, as the form peers are known by (a CID form went uncompared)', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const config = resolveConfig({ dataDir: '/tmp/x', bootstrap: [`/ip4/127.0.0.1/tcp/1/p2p/${id.toCID().toString()}`, `/dns4/vehicle.lan/tcp/2/p2p/${id.toString()}`, '/dns4/tasks.vehicle/tcp/7000'] })
    expect(config.bootstrap).toEqual([`/ip4/127.0.0.1/tcp/1/p2p/${id.toString()}`, `/dns4/vehicle.lan/tcp/2/p2p/${id.toString()}`, '/dns4/tasks.vehicle/tcp/7000'])
  })

  it('derives distinct mDNS tags and agents per network', () => {
    expect(mdnsServiceTag('fleet-a')).not.toBe(mdnsServiceTag('fleet-b'))
    expect(mdnsServiceTag('Fleet.A')).toMatch(/^_vguard-[a-z0-9-]+\._udp\.local$/)
    expect(networkOfAgent(agentVersion('0.1.0', 'fleet-a'))).toBe('fleet-a')
    expect(networkOfAgent('js-libp2p/3.0.0')).toBeUndefined()
  })

  it('keeps the mDNS tag\'s first label within a DNS label (63 bytes) for every network name, distinct per name; names that fit keep their tag', () => {
    const firstLabel = (network: string): string => mdnsServiceTag(network).split('.')[0]
    // as before: existing networks find vehicles of earlier versions
    expect(mdnsServiceTag('fleet-a')).toBe('_vguard-fleet-a._udp.local')
    expect(mdnsServiceTag('x'.repeat(55))).toBe(`_vguard-${'x'.repeat(55)}._udp.local`)
    const names = [56, 57, 62, 63].map(n => 'x'.repeat(n)).concat([`${'x'.repeat(62)}y`, `${'x'.repeat(62)}Y`])
    for (const network of names) {
      resolveConfig({ dataDir: '/tmp/x', network })
      expect(firstLabel(network).length).toBeLessThanOrEqual(63)
      expect(mdnsServiceTag(network)).toMatch(/^_vguard-x+-[0-9a-f]{16}\._udp\.local$/)
    }
    expect(new Set(names.map(mdnsServiceTag)).size).toBe(names.length)
  })
})
