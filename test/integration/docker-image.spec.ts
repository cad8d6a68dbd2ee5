/**
 * The docker image, built without docker (CI has no daemon): the build
 * stage's COPY lines and its RUN are replayed in a temp dir, npm taking
 * packages from its cache only (a test sends nothing off the machine), the
 * runtime stage is assembled from what it copies, and a node is started from
 * it as the image's ENTRYPOINT and CMD do, with its ENV. So a file the build
 * needs that the Dockerfile does not copy, or a module the node imports at
 * run time from devDependencies (pruned from the image), fails here first.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { NODE_FLAGS, spawnNode } from '../../src/swarm/process.ts'
import type { NodeProcess } from '../../src/swarm/process.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Where the image keeps the app. */
const APP = '/app'

interface Stage {
  name?: string
  copies: Array<{ from?: string, sources: string[], dest: string }>
  runs: string[]
  env: Record<string, string>
  entrypoint?: string[]
  cmd?: string[]
}

/** The Dockerfile's stages, as far as this replay needs them (continued lines joined, comments dropped). */
function parseDockerfile (text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  const stages: Stage[] = []
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/)
    const args = line.slice(instruction.length).trim()
    if (instruction === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1], copies: [], runs: [], env: {} })
      continue
    }
    const stage = stages[stages.length - 1]
    if (instruction === 'COPY') {
      const from = rest.find(a => a.startsWith('--from='))?.slice(7)
      const paths = rest.filter(a => !a.startsWith('--'))
      stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] })
    } else if (instruction === 'RUN') {
      stage.runs.push(args)
    } else if (instruction === 'ENV') {
      for (const pair of rest) {
        const at = pair.indexOf('=')
        stage.env[pair.slice(0, at)] = pair.slice(at + 1)
      }
    } else if (instruction === 'ENTRYPOINT') {
      stage.entrypoint = JSON.parse(args) as string[]
    } else if (instruction === 'CMD') {
      stage.cmd = JSON.parse(args) as string[]
    }
  }
  return stages
}

/** Copies as the COPY does: `sources` (from `base`) into `dest` under `into` (a directory when it ends in / or there are several). */
async function copyInto (base: string, into: string, sources: string[], dest: string): Promise<void> {
  const target = resolve(into, dest.startsWith(`${APP}/`) ? dest.slice(APP.length + 1) : dest)
  const toDir = dest.endsWith('/') || sources.length > 1
  if (toDir) await mkdir(target, { recursive: true })
  for (const source of sources) {
    const from = resolve(base, source.startsWith(`${APP}/`) ? source.slice(APP.length + 1) : source)
    await cp(from, toDir ? join(target, source.split('/').pop() as string) : target, { recursive: true })
  }
}

describe('docker image, replayed without docker', () => {
  let dir: string | undefined
  let node: NodeProcess | undefined
  afterAll(async () => {
    await node?.stop('SIGKILL')
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('builds from what the Dockerfile copies and runs on production dependencies alone, as its ENTRYPOINT starts it', async () => {
    const stages = parseDockerfile(await readFile(join(ROOT, 'docker/Dockerfile'), 'utf8'))
    expect(stages.map(s => s.name)).toEqual(['build', undefined])
    const [build, image] = stages
    dir = await mkdtemp(join(tmpdir(), 'vguard-docker-'))
    const buildDir = join(dir, 'build')
    const appDir = join(dir, 'app')
    await mkdir(buildDir)
    await mkdir(appDir)

    for (const c of build.copies) await copyInto(ROOT, buildDir, c.sources, c.dest)
    // the build's one step, replayed offline: an edit to it must be replayed here too
    expect(build.runs).toEqual(['npm ci && npm prune --omit=dev'])
    const npm = { cwd: buildDir, env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 }
    await run('npm', ['ci'], npm)
    await run('npm', ['prune', '--omit=dev'], npm)

    for (const c of image.copies) await copyInto(c.from === 'build' ? buildDir : ROOT, appDir, c.sources, c.dest)
    // what the test starts is what the image starts
    expect(image.entrypoint).toEqual(['node', ...NODE_FLAGS, `${APP}/bin/vguard-node`])
    expect(image.cmd).toEqual(['start'])
    expect(image.env).toMatchObject({ NODE_ENV: 'production', VGUARD_DATA_DIR: '/data' })
    // the image's environment, but on loopback, without mDNS, in a temp data dir
    node = await spawnNode({
      bin: join(appDir, 'bin/vguard-node'),
      args: [],
      env: { ...image.env, VGUARD_DATA_DIR: join(dir, 'data'), VGUARD_LISTEN: '/ip4/127.0.0.1/tcp/0', VGUARD_HTTP: '127.0.0.1:0', VGUARD_NO_MDNS: '1' },
      readyTimeout: 30_000
    })
    // the image's health check passes (exit 0: execFile rejects on any other)
    await expect(run(process.execPath, [join(appDir, 'docker/healthcheck.mjs')], { env: { ...process.env, VGUARD_HTTP: new URL(node.httpUrl).host } })).resolves.toBeDefined()
    const put = await fetch(`${node.httpUrl}/chains/${node.peerId}/kv/gps%2F1`, { method: 'PUT', body: '-27.71,-51.09' })
    expect(put.status).toBe(200)
    const got = await (await fetch(`${node.httpUrl}/chains/${node.peerId}/kv/gps%2F1`)).json() as { value: string }
    expect(got.value).toBe('-27.71,-51.09')
    // the demo's GPS trip is in the image
    await expect(readFile(join(appDir, 'data/gps-dataset.csv'), 'utf8')).resolves.toMatch(/^timestamp,latitude,longitude/)
    expect(await node.stop('SIGTERM')).toBe(0)
  }, 180_000)
})
