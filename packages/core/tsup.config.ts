import base from '../../tsup.config.base.js'

// Three entries: the user-facing one and the kits for adapter and store authors (subpaths).
export default { ...base, entry: ['src/index.ts', 'src/adapter.ts', 'src/store.ts'] }
