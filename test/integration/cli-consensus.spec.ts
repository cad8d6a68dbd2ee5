/**
 * The consensus flags of `vguard-node start` as a real child process
 * (`npm run build` first): documented with their VGUARD_ variables, refused
 * with a one-line message and exit 2 when Nr + Nw ≤ N, taken from the env.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, LOCAL } from '../utils/cli.ts'

describe('vguard-node CLI - consensus flags', () => {
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('start --help documents --priority, --read-quorum and --commit-timeout with their variables', async () => {
    const help = await runCli(['start', '--help'])
    expect(help.code).toBe(0)
    for (const text of ['--priority', 'VGUARD_PRIORITY', '--read-quorum', 'VGUARD_READ_QUORUM', '--commit-timeout', 'VGUARD_COMMIT_TIMEOUT']) {
      expect(help.stdout).toContain(text)
    }
  })

  it.each([
    // the options said as the flags that set them, not as the library's names
    [['--booth-size', '4', '--read-quorum', '1'], {}, /^error: --read-quorum: Nr \+ Nw must exceed N, .*\(--booth-size\); use --read-quorum ≥ 2$/],
    [['--booth-size', '5'], { VGUARD_READ_QUORUM: '2' }, /Nr \+ Nw must exceed N/],
    [['--read-quorum', '9'], {}, /^error: --read-quorum: must be an integer from 1 to 4, got 9$/],
    [['--listen', '/ip4/127.0.0.1/udp/0/quic-v1'], {}, /^error: --listen: \/ip4\/127\.0\.0\.1\/udp\/0\/quic-v1 is not a TCP address to listen on \(this node speaks TCP only\): \/ip4\/HOST\/tcp\/PORT or \/ip6\/HOST\/tcp\/PORT$/],
    [['--allow', 'not-a-peer'], {}, /^error: --allow: not a peer id: not-a-peer$/],
    // a list of nobody: it refused every peer and kept a shared chain of its own for good
    [['--allow', ''], {}, /^error: --allow: expected one or more peer ids \(comma-separated\), got ""$/],
    [[], { VGUARD_ALLOW: ' , ' }, /^error: --allow: at least one peer id/],
    [['--priority', '-3'], {}, /--priority.*expected an integer/],
    [['--commit-timeout', '0'], {}, /--commit-timeout.*expected an integer/]
  ])('refuses %j %j at start: one line, exit 2, nothing created', async (args, env, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-cli-consensus-'))
    dirs.push(dir)
    const res = await runCli(['start', '--data-dir', join(dir, 'node'), ...LOCAL, ...args], env)
    expect(res.code).toBe(2)
    const lines = res.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(res.stdout).toBe('')
    expect(existsSync(join(dir, 'node'))).toBe(false)
  })
})
