/**
 * The demo turns mDNS on only inside the private network namespace it made
 * for itself: its marker variable, set by hand on a host, must not send
 * multicast onto the host's LAN.
 */
import { describe, it, expect, afterEach } from 'vitest'
import type { NetworkInterfaceInfo } from 'node:os'
import { inPrivateNetns } from '../../../src/swarm/netns.ts'

const MARKER = 'VGUARD_TEST_NETNS_MARKER'

function iface (address: string, internal: boolean): NetworkInterfaceInfo {
  return { address, netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/8` }
}

describe('cli - private network namespace marker', () => {
  afterEach(() => { Reflect.deleteProperty(process.env, MARKER) })

  it('is believed only where loopback is all there is', () => {
    const loopbackOnly = { lo: [iface('127.0.0.1', true)] }
    const host = { lo: [iface('127.0.0.1', true)], eth0: [iface('192.0.2.2', false)] }
    expect(inPrivateNetns(MARKER, loopbackOnly)).toBe(false)
    process.env[MARKER] = '1'
    expect(inPrivateNetns(MARKER, loopbackOnly)).toBe(true)
    // set by hand on a host with a LAN: not a namespace of ours
    expect(inPrivateNetns(MARKER, host)).toBe(false)
    process.env[MARKER] = 'yes'
    expect(inPrivateNetns(MARKER, loopbackOnly)).toBe(false)
  })
})
