/**
 * Stored text (keys, values, pins) that any vehicle may write reaches the
 * operator's terminal escaped (src/cli/stored-text.ts): real `vguard-node
 * start` processes on loopback, the real CLI as a child process. Until
 * 2026-12-03 `keys`, `keys --values` and `pins` printed a key with
 * ESC ]0;…BEL, CR or U+202E as stored. A value on a pipe stays byte-exact,
 * and --json stays exact (JSON's own escaping). A backslash shows doubled (a
 * key holding the characters `\u001b` reads apart from one holding ESC), and
 * `start` says an unreachable --bootstrap address escaped.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNode } from '../../src/swarm/process.ts'
import type { NodeProcess } from '../../src/swarm/process.ts'
import type { StatusBody } from '../../src/http/routes.ts'
import { runCli, LOCAL } from '../utils/cli.ts'
import type { CliResult } from '../utils/cli.ts'
import { waitFor } from '../utils/wait.ts'

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const KEY = 'evil/a\u001b]0;pwned\u0007b\rspoof\u202egnp.exe\u2028x'
const KEY_SHOWN = 'evil/a\\u001b]0;pwned\\u0007b\\u000dspoof\\u202egnp.exe\\u2028x'
const VALUE = 'v\u001b[8mhidden\u0007\r\u202e'

describe('vguard-node CLI - stored keys and values with control characters', () => {
  let dir: string
  const nodes: NodeProcess[] = []
  const cli = async (p: NodeProcess, [command, ...args]: string[]): Promise<CliResult> => await runCli([command, '--http', new URL(p.httpUrl).host, ...args])
  const status = async (p: NodeProcess): Promise<StatusBody> => await (await fetch(`${p.httpUrl}/status`)).json() as StatusBody

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-cli-stored-text-'))
    const args = (i: number): string[] => ['--data-dir', join(dir, `v${i}`), '--network', 'cli-stored-text', '--booth-size', '2', '--k-backups', '1', ...LOCAL]
    nodes.push(await spawnNode({ args: args(0), readyTimeout: 30_000 }))
    nodes.push(await spawnNode({ args: [...args(1), '--bootstrap', nodes[0].addresses[0]], readyTimeout: 30_000 }))
    await waitFor(async () => (await Promise.all(nodes.map(status))).every(s => s.peers.length === 1), { timeout: 30_000, message: 'two vehicles connected' })
    const put = await cli(nodes[0], ['put', KEY, '--', VALUE])
    expect(put.stderr).toBe('')
    expect(put.code).toBe(0)
  }, 90_000)

  afterAll(async () => {
    await Promise.allSettled(nodes.map(async p => await p.stop('SIGKILL')))
    await rm(dir, { recursive: true, force: true })
  })

  it('keys shows a key escaped, and with --values its value too', async () => {
    const keys = await cli(nodes[0], ['keys', '--prefix', 'evil/'])
    expect(keys.code).toBe(0)
    expect(keys.stdout).not.toMatch(RAW_CONTROL)
    expect(keys.stdout).toBe(`${KEY_SHOWN}\n`)
    const values = await cli(nodes[0], ['keys', '--prefix', 'evil/', '--values'])
    expect(values.stdout).not.toMatch(RAW_CONTROL)
    // the API sends a value with control characters as base64: a listing shows it so
    expect(values.stdout).toBe(`${KEY_SHOWN}\tbase64:${Buffer.from(VALUE).toString('base64')}\n`)
  })

  it('--json stays exact: JSON consumers get the key and value as stored', async () => {
    const keys = await cli(nodes[0], ['keys', '--prefix', 'evil/', '--json'])
    const stored = (a: { value: string, encoding?: string }): string => a.encoding === 'base64' ? Buffer.from(a.value, 'base64').toString() : a.value
    const entry = JSON.parse(keys.stdout) as { key: string, value: string, encoding?: string }
    expect(entry.key).toBe(KEY)
    expect(stored(entry)).toBe(VALUE)
    const get = await cli(nodes[0], ['get', KEY, '--json'])
    expect(stored(JSON.parse(get.stdout) as { value: string, encoding?: string })).toBe(VALUE)
  })

  it('get on a pipe writes the value byte-exact (a value is data)', async () => {
    const get = await cli(nodes[0], ['get', KEY])
    expect(get.code).toBe(0)
    expect(get.stdout).toBe(VALUE)
  })

  it('pins names a pinned key escaped', async () => {
    expect((await cli(nodes[0], ['pin', '--key', KEY])).code).toBe(0)
    const pins = await cli(nodes[0], ['pins'])
    expect(pins.code).toBe(0)
    expect(pins.stdout).not.toMatch(RAW_CONTROL)
    expect(pins.stdout).toContain(`key ${KEY_SHOWN}`)
  })

  it('a key holding the characters of an escape reads apart from one holding the control (a backslash shows doubled)', async () => {
    // the six characters \u001b, and ESC itself: both read \u001b until 2026-12-03
    const literal = 'twin/\\u001b'
    const control = 'twin/\u001b'
    for (const key of [literal, control]) expect((await cli(nodes[0], ['put', key, '--', 'v'])).code).toBe(0)
    const keys = await cli(nodes[0], ['keys', '--prefix', 'twin/'])
    expect(keys.code).toBe(0)
    // in the key's order: ESC (U+001B) before the backslash (U+005C)
    expect(keys.stdout).toBe('twin/\\u001b\ntwin/\\\\u001b\n')
    // --json as stored
    const json = await cli(nodes[0], ['keys', '--prefix', 'twin/', '--json'])
    expect(json.stdout.trim().split('\n').map(l => (JSON.parse(l) as { key: string }).key)).toEqual([control, literal])
  })

  it('start says an unreachable bootstrap address escaped, and the transport\'s words that quote it', async () => {
    // what --bootstrap (or VGUARD_BOOTSTRAP, which someone else may have set) names, and the
    // resolver's error that repeats the name: both reached the terminal raw until 2026-12-03
    const address = `/dns4/evil\u001b]0;pwned\u0007.invalid/tcp/1/p2p/${nodes[0].peerId}`
    const args = ['--data-dir', join(dir, 'bootstrap'), '--network', 'cli-stored-text', '--bootstrap', address, ...LOCAL]
    const p = await spawnNode({ args, readyTimeout: 30_000 })
    nodes.push(p)
    const said = (): string | undefined => p.output.find(l => l.startsWith('bootstrap unreachable:'))
    await waitFor(() => said() != null, { timeout: 30_000, message: 'start says the bootstrap address is unreachable', state: () => p.output })
    expect(said()).not.toMatch(RAW_CONTROL)
    expect(said()).toContain('/dns4/evil\\u001b]0;pwned\\u0007.invalid/tcp/1/p2p/')
  })
})
