import { describe, it, expect } from 'vitest'
import { InvalidArgumentError } from 'commander'
import { parseBoolean, parseBytes, parseHostPort, parseInteger, collectMultiaddrs } from '../../../src/cli/options.ts'

describe('cli - options', () => {
  it('takes a boolean in any of its spellings, with the spaces an env file leaves around it', () => {
    expect([' 1 ', 'TRUE', 'yes\t', 'on'].map(parseBoolean)).toEqual([true, true, true, true])
    expect(['0', ' false', 'No', 'off '].map(parseBoolean)).toEqual([false, false, false, false])
    for (const bad of ['', ' ', 'maybe', '1 0']) expect(() => parseBoolean(bad), JSON.stringify(bad)).toThrow(InvalidArgumentError)
  })

  it('parses HOST:PORT forms', () => {
    expect(parseHostPort('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400 })
    expect(parseHostPort('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 })
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 })
    expect(parseHostPort('8080')).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(() => parseHostPort('host:70000')).toThrow(InvalidArgumentError)
    expect(() => parseHostPort('nope')).toThrow(InvalidArgumentError)
  })

  it('takes HOST:PORT as the URL start prints, and nothing else of a URL', () => {
    // a probe (2026-12-03): `--http http://127.0.0.1:7400`, pasted from start's `http:` line, was refused
    expect(parseHostPort('http://127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400 })
    expect(parseHostPort(' HTTP://[::1]:7400/ ')).toEqual({ host: '::1', port: 7400 })
    expect(parseHostPort('http://localhost:80')).toEqual({ host: 'localhost', port: 80 })
    expect(() => parseHostPort('https://127.0.0.1:7400')).toThrow('plain HTTP, not https')
    for (const bad of ['http://127.0.0.1:7400/status', 'http://127.0.0.1:7400?x', 'http://', 'http://127.0.0.1', 'http:127.0.0.1:7400', 'http://user@127.0.0.1:7400']) {
      expect(() => parseHostPort(bad), bad).toThrow(InvalidArgumentError)
    }
  })

  it('parses byte sizes with units', () => {
    expect(parseBytes('1024')).toBe(1024)
    expect(parseBytes('1GiB')).toBe(1024 ** 3)
    expect(parseBytes('512kb')).toBe(512 * 1024)
    // an SSD of a vehicle's computer may well be counted in TiB
    expect(parseBytes('2TiB')).toBe(2 * 1024 ** 4)
    expect(() => parseBytes('12 parsecs')).toThrow(InvalidArgumentError)
    expect(() => parseBytes('-1')).toThrow(InvalidArgumentError)
  })

  it('bounds integers', () => {
    expect(parseInteger(0, 10)('3')).toBe(3)
    expect(() => parseInteger(0, 10)('11')).toThrow(InvalidArgumentError)
    expect(() => parseInteger(0, 10)('2.5')).toThrow(InvalidArgumentError)
  })

  it('collects repeated and comma-separated multiaddrs', () => {
    const a = '/ip4/127.0.0.1/tcp/1'
    const b = '/ip4/127.0.0.1/tcp/2'
    expect(collectMultiaddrs(`${a},${b}`, undefined)).toEqual([a, b])
    expect(collectMultiaddrs(b, [a])).toEqual([a, b])
    expect(() => collectMultiaddrs('garbage', undefined)).toThrow(InvalidArgumentError)
  })
})
