/**
 * The docs name everything an operator or an embedder meets: every protocol
 * message (with its fields, where a doc shows the message), every metric,
 * event, exported error, HTTP route, `start` flag and VGUARD_* variable. Each
 * list is read from the code, not written out here, so a new one that the
 * docs do not name fails (README.md promises "every protocol and message").
 */
import { describe, it, expect } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import Fastify from 'fastify'
import ts from 'typescript'
import * as entry from '../../src/index.ts'
import { createNodeMetrics } from '../../src/node/metrics.ts'
import type { MetricsSource } from '../../src/node/metrics.ts'
import { EVENT_TYPES } from '../../src/http/dashboard/event-types.ts'
import { registerRoutes } from '../../src/http/routes.ts'
import { registerVGuardDBRoutes } from '../../src/http/routes-vguarddb.ts'
import { registerConsensusRoutes } from '../../src/http/routes-consensus.ts'
import { registerMetricsRoute } from '../../src/http/metrics.ts'
import { registerDashboard } from '../../src/http/dashboard/index.ts'
import { PayloadBudget } from '../../src/http/payload-budget.ts'
import { main } from '../../src/cli/index.ts'
import type { CliIo } from '../../src/cli/io.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const doc = async (name: string): Promise<string> => await readFile(join(ROOT, name), 'utf8')
const named = (text: string, name: string): boolean => new RegExp(`(^|[^\\w-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text)

/** A .proto's messages and enums by their qualified name (Outer.Inner), each with its fields or values and their numbers. */
function protoShapes (text: string): Map<string, Map<string, number>> {
  const shapes = new Map<string, Map<string, number>>()
  const scope: string[] = []
  const tokens = /(?:message|enum)\s+(\w+)\s*\{|\}|(?:(?:repeated|optional)\s+)?[\w.]+\s+(\w+)\s*=\s*(\d+)|\b([A-Z][A-Z0-9_]*)\s*=\s*(\d+)\s*;/g
  for (const t of text.replace(/\/\/[^\n]*/g, '').matchAll(tokens)) {
    if (t[1] != null) {
      scope.push(t[1])
      shapes.set(scope.join('.'), new Map())
    } else if (t[0] === '}') {
      scope.pop()
    } else if (scope.length > 0) {
      shapes.get(scope.join('.'))?.set(t[2] ?? t[4], Number(t[3] ?? t[5]))
    }
  }
  return shapes
}

async function protoFiles (): Promise<string[]> {
  const files: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name))
      else if (e.name.endsWith('.proto')) files.push(join(dir, e.name))
    }
  }
  await walk(join(ROOT, 'src'))
  return files.sort()
}

/** The members of each named interface or class of a TypeScript file (public ones: no private or protected, no constructor). */
function declaredMembers (file: string, text: string, names: string[]): Map<string, string[]> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest)
  const out = new Map<string, string[]>()
  for (const statement of source.statements) {
    if (!(ts.isInterfaceDeclaration(statement) || ts.isClassDeclaration(statement)) || statement.name == null || !names.includes(statement.name.text)) continue
    const hidden = (m: ts.Node): boolean => ts.canHaveModifiers(m) && (ts.getModifiers(m) ?? []).some(x => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)
    const members = (statement.members as ts.NodeArray<ts.ClassElement | ts.TypeElement>)
      .filter(m => m.name != null && ts.isIdentifier(m.name) && !hidden(m))
      .map(m => (m.name as ts.Identifier).text)
    out.set(statement.name.text, members)
  }
  return out
}

/** What every line the CLI writes goes to, for reading its help in this process. */
function capturingIo (lines: string[]): CliIo {
  return {
    out: (line) => { lines.push(line) },
    err: (line) => { lines.push(line) },
    write: () => {},
    readStdin: async () => new Uint8Array(),
    stdoutIsTTY: false,
    stdoutClosed: () => false,
    stdoutFailure: async () => undefined
  }
}

describe('the docs name', () => {
  it('every message and enum of every .proto: the wire formats in docs/protocols.md, the stored ones in docs/storage.md or docs/consensus.md', async () => {
    const protocols = await doc('docs/protocols.md')
    const stored = await doc('docs/storage.md') + await doc('docs/consensus.md')
    const missing: string[] = []
    for (const file of await protoFiles()) {
      const where = relative(ROOT, file).startsWith('src/storage/') ? stored : protocols
      for (const [name, members] of protoShapes(await readFile(file, 'utf8'))) {
        // a nested enum may be told by its values alone (a kind: DATA, NOOP, BOOTH)
        const told = named(where, name.split('.').at(-1) ?? name) || (/^[A-Z0-9_]+$/.test([...members.keys()][0] ?? '') && [...members.keys()].every(v => named(where, v)))
        if (!told) missing.push(`${relative(ROOT, file)}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('every field of a message as its .proto has it, wherever a doc shows the message in a proto block', async () => {
    const sources = await Promise.all((await protoFiles()).map(async f => ({ file: relative(ROOT, f), shapes: protoShapes(await readFile(f, 'utf8')) })))
    const wrong: string[] = []
    let shown = 0
    for (const name of ['docs/protocols.md', 'docs/storage.md', 'docs/consensus.md']) {
      for (const block of (await doc(name)).matchAll(/```proto\n([\s\S]*?)```/g)) {
        const documented = protoShapes(block[1])
        // the .proto the block shows: the one sharing most of its messages (nested names such as Status recur across files)
        const overlap = (s: Map<string, unknown>): number => [...documented.keys()].filter(k => s.has(k)).length
        const source = sources.reduce((best, s) => overlap(s.shapes) > overlap(best.shapes) ? s : best)
        for (const [message, fields] of documented) {
          const actual = source.shapes.get(message)
          shown++
          if (actual == null) {
            wrong.push(`${name}: ${message} is not in ${source.file}`)
            continue
          }
          for (const [field, n] of fields) if (actual.get(field) !== n) wrong.push(`${name}: ${message}.${field} = ${n}, ${source.file} has ${String(actual.get(field))}`)
          for (const field of actual.keys()) if (!fields.has(field)) wrong.push(`${name}: ${message} lacks ${field} (${source.file})`)
        }
      }
    }
    expect(wrong).toEqual([])
    expect(shown).toBeGreaterThan(30)
  })

  it('every member of the state machine\'s public API, in docs/consensus.md\'s "Public API" block', async () => {
    const block = /## Public API[^\n]*\n+```ts\n([\s\S]*?)```/.exec(await doc('docs/consensus.md'))?.[1] ?? ''
    const types = declaredMembers('types.ts', await readFile(join(ROOT, 'src/consensus/types.ts'), 'utf8'), ['PaxosConfig', 'Ready', 'Persist', 'HardState', 'Entry', 'Decided', 'ValueProof', 'CommitProof', 'PaxosStorage', 'ProposerProofs', 'PaxosStatus'])
    const paxos = declaredMembers('paxos.ts', await readFile(join(ROOT, 'src/consensus/paxos.ts'), 'utf8'), ['Paxos'])
    const members = [...types, ...paxos]
    expect(members.length).toBe(12)
    const missing = members.flatMap(([name, list]) => list.filter(m => !named(block, m)).map(m => `${name}.${m}`))
    expect(missing).toEqual([])
  })

  it('every Prometheus metric a node registers, in docs/operations.md', async () => {
    const source = {
      events: new EventTarget(),
      pubsub: new EventTarget()
    } as unknown as MetricsSource
    const names = createNodeMetrics(source).getMetricsAsArray().map(m => m.name)
    expect(names.length).toBeGreaterThan(30)
    const operations = await doc('docs/operations.md')
    expect(names.filter(n => !named(operations, n))).toEqual([])
  })

  it('every event a node dispatches, in docs/operations.md (the /events types)', async () => {
    const operations = await doc('docs/operations.md')
    expect(EVENT_TYPES.filter(t => !named(operations, t))).toEqual([])
  })

  it('every error class the package exports, in docs/ or README.md', async () => {
    const docs = (await Promise.all((await readdir(join(ROOT, 'docs'))).map(async f => await doc(join('docs', f))))).join('\n') + await doc('README.md')
    const errors = Object.entries(entry)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
      .map(([name]) => name)
    expect(errors.length).toBeGreaterThan(40)
    expect(errors.filter(n => !named(docs, n))).toEqual([])
  })

  it('every HTTP route, in docs/operations.md', async () => {
    const server = Fastify()
    const routes = new Set<string>()
    server.addHook('onRoute', (route) => { routes.add(route.url) })
    // the routes only read the node when asked (the event stream lets go of its events on close): a stand-in lists them
    const node = new EventTarget() as unknown as VGuardNode
    registerRoutes(server, node, new PayloadBudget())
    registerVGuardDBRoutes(server, node, new PayloadBudget())
    registerConsensusRoutes(server, node)
    registerMetricsRoute(server, node)
    registerDashboard(server, node)
    await server.ready()
    await server.close()
    expect(routes.size).toBeGreaterThan(12)
    const operations = await doc('docs/operations.md')
    // a parameter may go by another name there (/pins/heights/:range for :target)
    const documented = (url: string): boolean => new RegExp(`\`(?:[A-Z]+\\s+)?${url.replace(/:\w+/g, ':\\w+')}(?![\\w/])`).test(operations)
    expect([...routes].filter(url => !documented(url))).toEqual([])
  })

  it('every flag of `vguard-node start` and its VGUARD_* variable, in docs/operations.md\'s table', async () => {
    const lines: string[] = []
    expect(await main(['start', '--help'], capturingIo(lines))).toBe(0)
    const help = lines.join('\n')
    const flags = [...new Set([...help.matchAll(/^\s+(--[a-z-]+)/gm)].map(m => m[1]))].filter(f => f !== '--help')
    const variables = [...new Set([...help.replace(/\s+/g, ' ').matchAll(/env: (VGUARD_[A-Z_]+)/g)].map(m => m[1]))]
    expect(flags.length).toBeGreaterThan(20)
    expect(variables.length).toBe(flags.length)
    const rows = (await doc('docs/operations.md')).split('\n').filter(l => l.startsWith('| `--'))
    expect(flags.filter(f => !rows.some(r => r.startsWith(`| \`${f}\``) || r.startsWith(`| \`${f} `)))).toEqual([])
    expect(variables.filter(v => !rows.some(r => named(r, v)))).toEqual([])
  })
})
