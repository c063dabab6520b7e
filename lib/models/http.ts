// HTTP plumbing for model downloads: proxies from the environment (got@11 has no proxy support
// of its own), the hub token, and the error codes that mean "no network at all".
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { getProxyForUrl } from 'proxy-from-env';
import type { Agents } from 'got';

/** The proxy for `url` according to HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY, or undefined. */
export function proxyFor(url: string): string | undefined {
  const proxy = getProxyForUrl(url);
  return proxy ? proxy : undefined;
}

export function proxyAgents(url: string): Agents | undefined {
  const proxy = proxyFor(url);
  if (!proxy) return undefined;
  return {
    http: new HttpProxyAgent({ proxy, keepAlive: false }),
    https: new HttpsProxyAgent({ proxy, keepAlive: false }),
  };
}

/** Errors that mean this machine cannot reach the network at all (not a server problem). */
const NO_ROUTE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);

export function isNoRouteError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NO_ROUTE_CODES.has(code);
}

export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_GOT_REQUEST_ERROR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
