#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/index.js) into one ES module.
// Why: a vehicle spent ~430 ms resolving and compiling some 900 modules before
// it could start; the bundle loads in ~130 ms, which is what lets ten vehicles
// start on one two-core host within seconds. The LevelDB addon stays external
// (it is a native binary found at run time). bin/vguard-node falls back to the
// unbundled files when the bundle is missing.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
await build({
  entryPoints: [`${root}dist/src/cli/index.js`],
  outfile: `${root}dist/src/cli/bundle.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // same depth as the unbundled modules, so import.meta.url paths (bin/, data/) still resolve
  external: ['classic-level', 'node-gyp-build'],
  banner: { js: "import { createRequire as __vguardCreateRequire } from 'node:module'; const require = __vguardCreateRequire(import.meta.url);" },
  logLevel: 'warning'
})
