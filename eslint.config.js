import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', '**/pb/*.ts', 'coverage/**'] }),
  {
    rules: {
      'no-console': 'error',
      // `void promise.catch(...)` marks a deliberately unawaited promise
      'no-void': ['error', { allowAsStatement: true }]
    }
  },
  {
    // only the CLI, scripts and benchmarks talk to a terminal
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' }
  }
]
