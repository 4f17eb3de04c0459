import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Policy of every API answer: JSON only, nothing may load from it. */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'";
/** The interactive docs at /docs need inline scripts and styles. */
const DOCS_POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * The console's policy: its own scripts and styles only (no inline script: Vite emits files), API calls to
 * this origin, and the identity provider's origin when it signs in with OIDC (discovery and token calls).
 */
const consolePolicy = (oidcAuthority: string | null): string => {
  const provider = oidcAuthority ? ` ${new URL(oidcAuthority).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${provider}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action 'self'${provider}`,
    "frame-ancestors 'none'",
  ].join('; ');
};

/**
 * Security headers on every answer (what helmet would set, without the dependency). The console's
 * pages and assets get a policy that lets them run; its hashed assets may be cached (they hold no data).
 */
export const securityHeaders = (options: { consolePath: string; oidcAuthority: string | null }): RequestHandler => {
  const consoleCsp = consolePolicy(options.oidcAuthority);
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-site');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    const docs = req.path === '/docs' || req.path.startsWith('/docs/');
    const consolePage = req.path === options.consolePath || req.path.startsWith(`${options.consolePath}/`);
    res.setHeader('Content-Security-Policy', docs ? DOCS_POLICY : consolePage ? consoleCsp : API_POLICY);
    // Clinical data must not linger in browser or proxy caches; the console's content-hashed assets hold none.
    const hashedAsset = consolePage && req.path.startsWith(`${options.consolePath}/assets/`);
    res.setHeader('Cache-Control', hashedAsset ? 'public, max-age=31536000, immutable' : 'no-store');
    next();
  };
};
