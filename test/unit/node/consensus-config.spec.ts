import { describe, it, expect } from 'vitest'
import { resolveConfig, ConfigError, defaultReadQuorum, writeQuorumOf } from '../../../src/node/config.ts'

describe('node - consensus config', () => {
  it('defaults satisfy Nr + Nw > N for every booth size', () => {
    for (let n = 1; n <= 64; n++) {
      const config = resolveConfig({ dataDir: '/tmp/x', boothSize: n })
      expect(config.readQuorum + writeQuorumOf(n)).toBeGreaterThan(n)
      expect(config.readQuorum).toBe(defaultReadQuorum(n))
      // k defaults to 2, or to as many other members as a smaller booth has
      expect(config.kBackups).toBe(Math.min(2, n - 1))
    }
    const config = resolveConfig({ dataDir: '/tmp/x' })
    expect(config).toMatchObject({ boothSize: 4, readQuorum: 2, priority: 0, commitTimeout: 10_000, memberChains: 256, memberUndecidedBytes: 256 * 1024 * 1024, memberIdle: 60_000 })
  })

  it.each([
    [{ boothSize: 4, readQuorum: 1 }, /Nr \+ Nw must exceed N/],
    [{ boothSize: 5, readQuorum: 2 }, /Nr \+ Nw must exceed N/],
    [{ boothSize: 4, readQuorum: 5 }, /readQuorum/],
    [{ readQuorum: 0 }, /readQuorum/],
    [{ commitTimeout: 0 }, /commitTimeout/],
    [{ priority: 1.5 }, /priority/],
    [{ memberChains: -1 }, /memberChains/],
    [{ memberIdle: 10 }, /memberIdle/],
    [{ memberUndecidedBytes: -1 }, /memberUndecidedBytes/]
  ])('refuses %j at start with a ConfigError', (bad, message) => {
    expect(() => resolveConfig({ dataDir: '/tmp/x', ...bad })).toThrow(ConfigError)
    expect(() => resolveConfig({ dataDir: '/tmp/x', ...bad })).toThrow(message)
  })

  it('accepts larger read quorums', () => {
    expect(resolveConfig({ dataDir: '/tmp/x', boothSize: 5, readQuorum: 5 }).readQuorum).toBe(5)
  })
})
