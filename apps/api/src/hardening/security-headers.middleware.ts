import type { NextFunction, Request, Response } from 'express';

/**
 * Security headers on every answer (what helmet would set, without the dependency). The API serves
 * JSON only; the interactive docs at /docs need inline scripts and styles, so they get a looser policy.
 */
export const securityHeaders = (req: Request, res: Response, next: NextFunction): void => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-site');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  const docs = req.path === '/docs' || req.path.startsWith('/docs/');
  res.setHeader(
    'Content-Security-Policy',
    docs
      ? "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
      : "default-src 'none'; frame-ancestors 'none'",
  );
  // Clinical data must not linger in browser or proxy caches.
  res.setHeader('Cache-Control', 'no-store');
  next();
};
