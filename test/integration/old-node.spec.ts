/**
 * On a Node.js older than 22 (the machines' own Node 20, which libp2p 3 does
 * not run on): the CLI exits 2 saying what to do, in the repository (the
 * bundled node@22 through npm) and in an installed package (no bundled Node:
 * "run it through npm" was advice that did not apply), and the library
 * refuses to make a node with UnsupportedRuntimeError (one started, then
 * died with a bare TypeError from inside libp2p). Needs an older `node`
 * besides the one running the tests, and the build (npm run build).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { BIN_PATH } from '../../src/swarm/process.ts'
import { checkRuntime } from '../../src/node/errors.ts'

/** A node binary older than 22 on this machine, if any. */
function olderNode (): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim()
      if (Number(/^v(\d+)\./.exec(version)?.[1] ?? 99) < 22) return candidate
    } catch {}
  }
  return undefined
}

const old = olderNode()
if (old == null) console.warn('old-node.spec: skipped, no Node.js older than 22 on this machine (looked in /usr/bin, /usr/local/bin, /bin)')

describe('on a Node.js older than 22', () => {
  let dir: string | undefined
  afterEach(async () => { if (dir != null) await rm(dir, { recursive: true, force: true }) })

  it('the library refuses to make a node, saying why', () => {
    expect(() => { checkRuntime('v20.20.2') }).toThrow(/^vguard-node needs Node\.js 22 or newer \(libp2p 3 uses Promise\.withResolvers\); this is v20\.20\.2$/)
    expect(() => { checkRuntime('v22.0.0') }).not.toThrow()
    expect(() => { checkRuntime('v24.1.0') }).not.toThrow()
  })

  it.skipIf(old == null)('the CLI exits 2 with advice that fits where it runs; createVGuardNode throws UnsupportedRuntimeError', async () => {
    const node = old as string
    const inRepo = spawnSync(node, [BIN_PATH, '--help'], { encoding: 'utf8' })
    expect(inRepo.status).toBe(2)
    expect(inRepo.stderr).toMatch(/needs Node 22 or newer .*run it through npm .* to use the bundled Node 22/)
    // an installed package: bin/ without the repository's node_modules/node beside it
    dir = await mkdtemp(join(tmpdir(), 'vguard-old-node-'))
    await cp(resolve(BIN_PATH, '..'), join(dir, 'bin'), { recursive: true })
    const installed = spawnSync(node, [join(dir, 'bin', 'vguard-node'), '--help'], { encoding: 'utf8' })
    expect(installed.status).toBe(2)
    expect(installed.stderr).toMatch(/needs Node 22 or newer .*install Node 22 or newer/)
    expect(installed.stderr).not.toContain('bundled')
    const entry = resolve(BIN_PATH, '..', '..', 'dist', 'src', 'index.js')
    const script = `import(${JSON.stringify(entry)}).then(m => m.createVGuardNode({ dataDir: ${JSON.stringify(join(dir, 'data'))}, mdns: false })).then(() => console.log('made'), e => console.log(e.name, e instanceof Error))`
    const library = spawnSync(node, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(library.stdout.trim()).toBe('UnsupportedRuntimeError true')
  })
})
