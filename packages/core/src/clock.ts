// The in-process clock: monotonic microseconds, immune to wall-clock changes.

/** Returns the current time in integer microseconds. Only differences between readings matter. */
export type ClockUs = () => number

/**
 * A monotonic clock in integer microseconds (`performance.now()`), never `Date.now()`.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ clock: monotonicClockUs })
 * ```
 */
export const monotonicClockUs: ClockUs = () => Math.floor(performance.now() * 1000)
