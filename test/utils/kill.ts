import { spawn } from 'node:child_process'
import { randomInt } from 'node:crypto'

/**
 * Runs a writer child for a kill -9 test: `node script ...args`, which prints
 * `ready …` once it has opened its store and then one line per acknowledged
 * write. It is killed with SIGKILL at a random moment within `maxDelayMs` of
 * its ready line (sometimes before its first write, mostly mid-stream). Every
 * line it printed, ready included, goes to `onLine`, those still in the pipe
 * at the kill too. Resolves once the child is gone.
 */
export async function runUntilKilled (script: string, args: string[], maxDelayMs: number, onLine: (words: string[]) => void): Promise<void> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let ready = false
  let buffered = ''
  let stderr = ''
  const take = (line: string): void => {
    if (line === '') return
    const words = line.split(' ')
    if (words[0] === 'ready' && !ready) {
      ready = true
      setTimeout(() => { child.kill('SIGKILL') }, randomInt(0, maxDelayMs))
    }
    onLine(words)
  }
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) take(line)
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => { child.on('close', (c, s) => { resolve([c, s]) }) })
  take(buffered)
  if (!ready) throw new Error(`writer exited (${String(code ?? signal)}) before ready: ${stderr}`)
}
