// Small checks shared by every options validator; each throws a SpillwayConfigError naming the option.
import { SpillwayConfigError } from './errors.js'

/**
 * A map with exactly the option names of `T` as keys: the compiler fails when an option is added to `T`
 * and not to the map, so the list of names that validation accepts can never fall behind the type.
 */
export type KeysEnum<T> = { readonly [K in keyof Required<T>]: true }

/**
 * The option names of a {@link KeysEnum} map, in order.
 *
 * @example
 * ```ts
 * const NAMES = optionNames<MemoryStoreOptions>({ maxKeys: true, clock: true })
 * ```
 */
export function optionNames<T>(keys: KeysEnum<T>): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof T & string)[]
}

/** Rejects option names that are not in `known`, so a typo never silently falls back to a default. */
export function rejectUnknownOptions(options: object, known: readonly string[], path = ''): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new SpillwayConfigError(
        'ERR_SPILLWAY_UNKNOWN_OPTION',
        `${path}${name}`,
        (options as Record<string, unknown>)[name],
        `is not a known option (known: ${known.join(', ')})`,
      )
    }
  }
}

/** Requires a plain object (the options bag itself, or a nested one). */
export function requireObject(value: unknown, option: string): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be an object')
  }
}

/** Requires a finite number greater than zero. */
export function requirePositiveNumber(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be a positive finite number')
  }
  return value
}

/** Requires a whole number ≥ 1 that is exact in a double. */
export function requirePositiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be a whole number ≥ 1')
  }
  return value
}

/** Requires a function when present. */
export function optionalFunction<T>(value: unknown, option: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') {
    throw new SpillwayConfigError('ERR_SPILLWAY_INVALID_OPTION', option, value, 'must be a function')
  }
  return value as T
}
