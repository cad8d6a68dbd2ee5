import { spawn } from 'node:child_process'
import { BIN_PATH } from '../../src/swarm/process.ts'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout exactly as written (values may be binary). */
  stdoutBytes: Buffer
}

/** Runs the built CLI to completion (killed after 30 s), with `input` on its stdin if given. */
export async function runCli (args: string[], env: NodeJS.ProcessEnv = {}, options: { input?: Uint8Array } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN_PATH, ...args], {
    env: { ...process.env, ...env },
    stdio: [options.input != null ? 'pipe' : 'ignore', 'pipe', 'pipe']
  })
  const out: Buffer[] = []
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { out.push(d) })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  if (options.input != null) child.stdin?.end(options.input)
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
  const code = await new Promise<number | null>((resolve) => { child.once('close', (c) => { resolve(c) }) })
  clearTimeout(timer)
  const stdoutBytes = Buffer.concat(out)
  return { code, stdout: stdoutBytes.toString(), stderr, stdoutBytes }
}

/** Flags for a CLI node that stays on loopback with mDNS off. */
export const LOCAL = ['--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--no-mdns']
