// The one rule for store keys: the limiter namespaces every key by its policy, the same way for every store.

/**
 * The key a store receives for `clientKey` under the policy named `policyName`:
 * `<policy name>:{<client key>}`. Policy names cannot contain `{`, so the first `{` ends the name and no two
 * pairs collide; the braces make the client key a Redis Cluster hash tag (one slot per identity).
 *
 * @example
 * ```ts
 * storeKey('login', '203.0.113.7') // 'login:{203.0.113.7}'
 * ```
 */
export function storeKey(policyName: string, clientKey: string): string {
  // join() builds one flat string; a template literal builds a rope whose 32-byte wrapper a Map would keep.
  return [policyName, ':{', clientKey, '}'].join('')
}
