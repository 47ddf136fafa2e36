// Warnings for hostile proxy setups, each given once per middleware: a trust-proxy setting that trusts every hop, or X-Forwarded-For reaching an app that trusts no proxy.

/** The frameworks whose settings the warnings name. */
export type ProxyFramework = 'express' | 'fastify' | 'koa'

/** The settings each framework calls trusting every hop, and the one to use instead. */
const SETTINGS: Record<ProxyFramework, { permissive: string; trustOne: string }> = {
  express: { permissive: "app.set('trust proxy', true)", trustOne: "app.set('trust proxy', 1)" },
  fastify: { permissive: 'Fastify({ trustProxy: true })', trustOne: "Fastify({ trustProxy: '<your proxy address>' })" },
  koa: {
    permissive: 'new Koa({ proxy: true }) without maxIpsCount',
    trustOne: 'new Koa({ proxy: true, maxIpsCount: 1 })',
  },
}

/** One middleware's warnings: each is emitted at most once. */
export interface ProxyWarnings {
  /** Set once the X-Forwarded-For warning was given: adapters stop looking at the header. */
  readonly untrustedWarned: boolean
  /** The framework trusts every proxy hop: each client can pick its own key. */
  permissiveTrustProxy(): void
  /** A request carried X-Forwarded-For, but the app trusts no proxy. */
  untrustedForwardedFor(): void
}

/**
 * The proxy warnings of one middleware (or Fastify plugin), named by `limiterName` (`policy "login"`), whose
 * policy reads the client address (its key, or an address `allowList`). Adapters detect the setting; the
 * text, the codes and the links live here.
 *
 * @example
 * ```ts
 * const warnings = createProxyWarnings('policy "default"', 'express')
 * if (req.app.get('trust proxy') === true) warnings.permissiveTrustProxy()
 * ```
 */
export function createProxyWarnings(limiterName: string, framework: ProxyFramework): ProxyWarnings {
  const { permissive, trustOne } = SETTINGS[framework]
  let permissiveWarned = false
  const warnings = {
    untrustedWarned: false,
    permissiveTrustProxy(): void {
      if (permissiveWarned) return
      permissiveWarned = true
      emit(
        'SPILLWAY_PERMISSIVE_TRUST_PROXY',
        `${limiterName} reads the client address (its key or its allowList), but ${permissive} trusts every ` +
          'proxy hop: the address is the leftmost X-Forwarded-For entry, which the client writes, so a client can ' +
          'pick a new key on every request, or an allow-listed address, and is never limited. ' +
          `Trust exactly your proxies, e.g. ${trustOne}.`,
      )
    },
    untrustedForwardedFor(): void {
      if (warnings.untrustedWarned) return
      warnings.untrustedWarned = true
      emit(
        'SPILLWAY_UNTRUSTED_FORWARDED_FOR',
        `A request with an X-Forwarded-For header reached ${limiterName}, but the app trusts no proxy, ` +
          "so every client behind a proxy is keyed by the proxy's address and they share one bucket. Behind a " +
          `reverse proxy, trust it, e.g. ${trustOne}; if there is none, a client sent the header and it is ignored.`,
      )
    },
  }
  return warnings
}

function emit(code: string, message: string): void {
  process.emitWarning(`${message} See @spillway/core/docs/errors.md#${code.toLowerCase()}.`, { code })
}
