/**
 * Request targets in absolute form (`GET http://host:7400/status`, RFC 9112
 * §3.2.2: what a client sends through a proxy, which a server must take) are
 * routed by their path; what looks at the path itself (which methods a path
 * takes, a key's bare '/', what body type a route wants) reads it from here.
 */

/**
 * The target in origin form (path and query): an absolute one (`http://a:1/x?q`,
 * RFC 9112 §3.2.2) without its scheme and authority, `/x?q`; others as they are.
 */
export function originForm (target: string): string {
  if (!/^https?:\/\//i.test(target)) return target
  const rest = target.replace(/^https?:\/\/[^/?#]*/i, '')
  return rest.startsWith('/') ? rest : `/${rest}`
}
