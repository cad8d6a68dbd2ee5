/**
 * The README's library example, run as a user would run it: its own
 * directory, `import … from 'vguard-node'` resolved through the package's
 * exports (the built dist/), Node 22, no test helpers. An example that stops
 * compiling against the API or running fails here.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const ROOT = join(import.meta.dirname, '../..')

describe('README', () => {
  let dir: string | undefined
  afterEach(async () => { if (dir != null) await rm(dir, { recursive: true, force: true }) })

  it('the library example runs as written', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('As a library'))
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    expect(code, 'a ts block after "As a library"').toBeDefined()
    dir = await mkdtemp(join(tmpdir(), 'vguard-readme-'))
    await mkdir(join(dir, 'node_modules'))
    await symlink(ROOT, join(dir, 'node_modules', 'vguard-node'))
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    await writeFile(join(dir, 'example.ts'), code ?? '')
    const { stdout } = await promisify(execFile)(process.execPath, ['example.ts'], { cwd: dir, timeout: 60_000 })
    expect(stdout).toMatch(/^height 1 backups 2$/m)
    expect(stdout).toMatch(/^quorum read 49\.01,8\.40 from 2 holders$/m)
    expect(stdout).toMatch(/^epoch 2 backups 2$/m)
    // the other backup may not hold the round's table yet (it is handed over after endOfBooth answers,
    // and a stops at once): its answer is then stale, and c, itself a backup of the new table, serves
    expect(stdout).toMatch(/^served by a backup: true unreachable( → stale)? → served$/m)
  }, 90_000)
})
