import * as fs from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, importSPKI, jwtVerify, type JWTVerifyGetKey, type KeyLike } from 'jose';
import type { AppConfig } from '@care/config';
import { TOKEN_ROLES, type Actor, type StaffRole } from '@care/protocol';
import { APP_CONFIG } from '../infrastructure/tokens';

/**
 * The authenticated caller: the protocol's actor (acting for `siteId`), every site the token grants
 * (`sites`; more than one only for auditors) and when they last proved who they are (`auth_time`).
 */
export type Principal = Actor & { sites: string[]; authTime: number | null };

/** Why a token was refused; recorded in the access log, never sent to the caller. */
export type TokenFailure = 'malformed' | 'signature' | 'expired' | 'not-yet-valid' | 'issuer' | 'audience' | 'algorithm' | 'claims' | 'keys-unavailable';

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; reason: TokenFailure };

const SITE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Roles whose token may grant several sites; everyone else acts for exactly one site at a time. */
export const MULTI_SITE_ROLES: readonly StaffRole[] = ['auditor'];

const reasonOf = (error: unknown): TokenFailure => {
  const code = (error as { code?: string })?.code ?? '';
  const claim = (error as { claim?: string })?.claim ?? '';
  if (code === 'ERR_JWT_EXPIRED') return 'expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return claim === 'nbf' ? 'not-yet-valid' : claim === 'iss' ? 'issuer' : claim === 'aud' ? 'audience' : 'claims';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JOSE_NOT_SUPPORTED') return 'algorithm';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return 'signature';
  // The provider's key set could not be fetched (down, timeout, not JSON, not 200, network error).
  const message = (error as Error)?.message ?? '';
  if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || (code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(message)) || /^E[A-Z]+$/.test(code)) {
    return 'keys-unavailable';
  }
  return 'malformed';
};

/**
 * Verifies bearer JWTs: signature (an OIDC provider's JWKS in production, or the embedded default's
 * Ed25519 public key file), allowed asymmetric algorithms only (so never `none` or HMAC), issuer,
 * audience, expiry and not-before, then the claims the service relies on: `sub`, `name` (printed name,
 * Part 11 §11.50), `role` and `site` (a string, or an array of strings for auditors). Callers answer
 * every failure with the same 401; the reason goes only to the access log.
 */
@Injectable()
export class TokenVerifier {
  private keys: Promise<KeyLike | JWTVerifyGetKey> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private keySource(): Promise<KeyLike | JWTVerifyGetKey> {
    if (!this.keys) {
      const { jwksUrl, publicKeyFile, algorithms } = this.config.auth;
      // jose caches the key set and refetches it when a token names an unknown `kid` (IdP key rotation).
      this.keys = jwksUrl
        ? Promise.resolve(createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000 }))
        : importSPKI(fs.readFileSync(publicKeyFile!, 'utf8'), algorithms[0]!);
      this.keys.catch(() => (this.keys = null));
    }
    return this.keys;
  }

  async verify(token: string): Promise<VerifyResult> {
    let payload: Record<string, unknown>;
    try {
      const keys = await this.keySource();
      const options = { issuer: this.config.auth.issuer, audience: this.config.auth.audience, algorithms: this.config.auth.algorithms, clockTolerance: 5 };
      ({ payload } = typeof keys === 'function' ? await jwtVerify(token, keys, options) : await jwtVerify(token, keys, options));
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
    const { sub, name, role, site } = payload;
    if (typeof sub !== 'string' || sub === '' || sub.length > 256 || typeof name !== 'string' || name.trim() === '' || name.length > 256) return { ok: false, reason: 'claims' };
    if (typeof role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(role)) return { ok: false, reason: 'claims' };
    if (typeof payload['exp'] !== 'number') return { ok: false, reason: 'claims' };
    const sites = typeof site === 'string' ? [site] : Array.isArray(site) ? site : [];
    if (sites.length === 0 || sites.length > 100 || !sites.every((s) => typeof s === 'string' && SITE.test(s))) return { ok: false, reason: 'claims' };
    // Staff act for one site at a time: a token granting several is refused rather than guessed at.
    if (sites.length > 1 && !MULTI_SITE_ROLES.includes(role as StaffRole)) return { ok: false, reason: 'claims' };
    const authTime = typeof payload['auth_time'] === 'number' && Number.isFinite(payload['auth_time']) ? payload['auth_time'] : null;
    const unique = [...new Set(sites as string[])];
    return { ok: true, principal: { id: sub, name: name.trim(), role: role as StaffRole, siteId: unique[0]!, sites: unique, authTime } };
  }
}
