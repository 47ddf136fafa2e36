// The default name of a route's policy, from its method and path: one rule for every adapter.
import { createHash } from 'node:crypto'

/**
 * `GET:/users/:id` for a route policy without a `name`: valid as a policy name (1–64 of
 * `A-Za-z0-9_.:@+/-`). Other characters become `_`, and a name that had to change or is longer than 64
 * gets a short hash of the original, so two routes never share a name by accident.
 *
 * @example
 * ```ts
 * routePolicyName('GET', '/users/:id')       // 'GET:/users/:id'
 * routePolicyName(['GET', 'HEAD'], '/a b')   // 'GET+HEAD:/a_b.<hash>'
 * ```
 */
export function routePolicyName(method: string | readonly string[], path: string): string {
  const raw = `${[method].flat().join('+')}:${path}`
  const name = raw.replace(/[^\w.:@+/-]/g, '_')
  if (name === raw && name.length <= 64 && /^[A-Za-z0-9]/.test(name)) return name
  return `${name.slice(0, 52)}.${createHash('sha256').update(raw).digest('hex').slice(0, 11)}`
}
