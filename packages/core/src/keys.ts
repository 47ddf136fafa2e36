// Turns client-supplied keys into bounded store keys: long keys are hashed, never stored as sent.
import { createHash } from 'node:crypto'

/** Keys longer than this many characters are replaced by their SHA-256 before reaching a store. */
export const MAX_RAW_KEY_LENGTH = 128

/**
 * Returns the key to store: short keys as they are, long ones as `sha256:<base64url>` (51 characters),
 * so a client that controls the key cannot make the store hold arbitrarily large strings.
 *
 * @example
 * ```ts
 * boundedKey('203.0.113.7') // '203.0.113.7'
 * ```
 */
export function boundedKey(key: string): string {
  if (key.length <= MAX_RAW_KEY_LENGTH) return key
  return `sha256:${createHash('sha256').update(key).digest('base64url')}`
}
