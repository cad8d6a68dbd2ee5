import { describe, it, expect } from 'vitest'
import { resolveConfig, ConfigError, DEFAULT_K_BACKUPS, DEFAULT_BOOTH_SIZE } from '../../../src/node/config.ts'
import { mdnsServiceTag, networkOfAgent, agentVersion } from '../../../src/node/libp2p.ts'

describe('node - config', () => {
  it('fills safe defaults', () => {
    const config = resolveConfig({ dataDir: '/tmp/x' })
    expect(config.network).toBe('vguard')
    expect(config.mdns).toBe(true)
    expect(config.kBackups).toBe(DEFAULT_K_BACKUPS)
    expect(config.boothSize).toBe(DEFAULT_BOOTH_SIZE)
    expect(config.bootstrap).toEqual([])
  })

  it.each([
    [{ network: 'bad name' }, /network/],
    [{ listen: ['not-an-addr'] }, /listen/],
    // TCP is the node's one transport
    [{ listen: ['/ip4/127.0.0.1/udp/0/quic-v1'] }, /listen: .* is not a TCP address to listen on/],
    [{ listen: ['/ip4/127.0.0.1/tcp/0/ws'] }, /listen: .* is not a TCP address to listen on/],
    [{ listen: ['/ip4/127.0.0.1'] }, /listen: .* is not a TCP address to listen on/],
    [{ listen: ['/dns4/example.com/tcp/1'] }, /listen: .* is not a TCP address to listen on/],
    [{ bootstrap: ['garbage'] }, /bootstrap/],
    [{ kBackups: -1 }, /kBackups/],
    [{ boothSize: 0 }, /boothSize/],
    [{ capacity: 1.5 }, /capacity/],
    [{ mdnsInterval: 5 }, /mdnsInterval/],
    [{ allowedPeers: ['nope'] }, /allowedPeers/],
    [{ dataDir: '' }, /dataDir/]
  ])('rejects %j with a ConfigError', (bad, message) => {
    expect(() => resolveConfig({ dataDir: '/tmp/x', ...bad })).toThrow(ConfigError)
    expect(() => resolveConfig({ dataDir: '/tmp/x', ...bad })).toThrow(message)
  })

  it('derives distinct mDNS tags and agents per network', () => {
    expect(mdnsServiceTag('fleet-a')).not.toBe(mdnsServiceTag('fleet-b'))
    expect(mdnsServiceTag('Fleet.A')).toMatch(/^_vguard-[a-z0-9-]+\._udp\.local$/)
    expect(networkOfAgent(agentVersion('fleet-a'))).toBe('fleet-a')
    expect(networkOfAgent('js-libp2p/3.0.0')).toBeUndefined()
  })
})
