#!/usr/bin/env node
// Runs the test suite. As root on Linux it runs vitest inside a private network
// namespace (`unshare -n`, only `lo` up): mDNS multicast then stays on loopback
// and nothing the tests send can leave the machine. Otherwise it runs vitest
// directly, and the tests that need root (mDNS, network namespaces) skip.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
const args = ['run', ...process.argv.slice(2)]
const root = process.platform === 'linux' && process.getuid?.() === 0
const canUnshare = root && spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0

let result
if (canUnshare && process.env.VGUARD_TEST_IN_NETNS !== '1') {
  console.log('run-tests: root on Linux, running the suite in a private network namespace (unshare -n, lo up)')
  const script = 'ip link set lo up && exec "$0" "$@"'
  result = spawnSync('unshare', ['-n', '--', 'sh', '-c', script, process.execPath, vitest, ...args], {
    stdio: 'inherit',
    env: { ...process.env, VGUARD_TEST_IN_NETNS: '1' }
  })
} else {
  if (!root) console.log('run-tests: not root, running on the host network; mDNS and network-namespace tests will skip')
  result = spawnSync(process.execPath, [vitest, ...args], { stdio: 'inherit' })
}
process.exit(result.status ?? 1)
