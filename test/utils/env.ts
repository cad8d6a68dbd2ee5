import { spawnSync } from 'node:child_process'

/** True when tests run inside the private network namespace made by scripts/run-tests.mjs. */
export const IN_TEST_NETNS = process.env.VGUARD_TEST_IN_NETNS === '1'

/** Root on Linux with iproute2: we may create network namespaces. */
export const CAN_NETNS = process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0

export const SKIP_MDNS_REASON = 'mDNS runs only inside a network namespace: run the suite as root (npm test) so it runs under unshare -n'
export const SKIP_NETNS_REASON = 'needs root on Linux with iproute2 to create network namespaces'

/** Root on Linux: we may mount a small tmpfs to play a full disk. */
export const CAN_MOUNT = process.platform === 'linux' && process.getuid?.() === 0

export const SKIP_MOUNT_REASON = 'needs root on Linux to mount a small tmpfs (a disk that fills up)'
