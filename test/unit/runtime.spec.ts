import { describe, it, expect } from 'vitest'

describe('runtime', () => {
  it('runs on Node 22 or newer (libp2p 3 needs Promise.withResolvers)', () => {
    const major = Number(process.versions.node.split('.')[0])
    expect(major).toBeGreaterThanOrEqual(22)
    expect(typeof Promise.withResolvers).toBe('function')
  })
})
