// Copies the error-code reference into @spillway/core, so the path in every error message resolves in node_modules.
import { copyFileSync, mkdirSync } from 'node:fs'

mkdirSync('docs', { recursive: true })
copyFileSync('../../docs/errors.md', 'docs/errors.md')
