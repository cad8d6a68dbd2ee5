import { describe, it, expect } from 'vitest'
import { checkHttpInit } from '../../../src/http/init-check.ts'
import { ConfigError } from '../../../src/node/config.ts'

describe('startHttpApi options, from a JavaScript caller', () => {
  it.each([
    [{ hots: '127.0.0.1' }, /^hots: not an option of startHttpApi \(a typo\?\); the options are host, port, /],
    [{ port: '0' }, /^port: must be an integer from 0 to 65535, got "0" \(string\)$/],
    [{ port: 70_000 }, /^port: must be an integer from 0 to 65535, got 70000$/],
    [{ host: 7 }, /^host: must be an address or host name, got 7 \(number\)$/],
    [{ host: '' }, /^host: must be an address or host name/],
    [{ requestTimeout: -1 }, /^requestTimeout: must be an integer from 0/],
    [{ idleTimeout: 1.5 }, /^idleTimeout: must be an integer from 0/],
    [{ readPayloadBudget: 0 }, /^readPayloadBudget: must be an integer from 1/],
    [{ allowedHosts: 'x' }, /^allowedHosts: must be an array of host names, got "x" \(string\)$/],
    [{ allowedHosts: ['ok', 3] }, /^allowedHosts: must be an array of host names/],
    // the Host's name alone is compared: these never matched anything
    [{ allowedHosts: ['vehicle:7400'] }, /^allowedHosts: "vehicle:7400" is not a host name: give the name alone/],
    [{ allowedHosts: ['http://vehicle'] }, /^allowedHosts: "http:\/\/vehicle" is not a host name/],
    [{ allowedHosts: ['*'] }, /^allowedHosts: "\*" is not a host name/],
    [{ allowedHosts: ['a b'] }, /^allowedHosts: "a b" is not a host name/],
    [{ allowedHosts: ['x'.repeat(254)] }, /is not a host name/],
    ['127.0.0.1:7400', /^startHttpApi options: an object is required/]
  ] as Array<[unknown, RegExp]>)('refuses %j with a ConfigError', (init, message) => {
    expect(() => { checkHttpInit(init) }).toThrow(ConfigError)
    expect(() => { checkHttpInit(init) }).toThrow(message)
  })

  it('takes every documented option', () => {
    expect(() => { checkHttpInit({}) }).not.toThrow()
    expect(() => { checkHttpInit({ host: '127.0.0.1', port: 0, requestTimeout: 0, idleTimeout: 1_000, readPayloadBudget: 1024, allowedHosts: ['vehicle', 'Vehicle-1.lan', 'vehicle.', '10.0.0.7'] }) }).not.toThrow()
    // what the CLI hands over without --http-allow-host
    expect(() => { checkHttpInit({ host: '127.0.0.1', port: 7400, allowedHosts: undefined }) }).not.toThrow()
  })
})
