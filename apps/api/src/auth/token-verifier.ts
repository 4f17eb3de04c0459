import * as fs from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { importSPKI, jwtVerify, type KeyLike } from 'jose';
import type { AppConfig } from '@care/config';
import { TOKEN_ROLES, type Actor, type StaffRole } from '@care/protocol';
import { APP_CONFIG } from '../infrastructure/tokens';

/** The authenticated caller: the protocol's actor plus when they last proved who they are. */
export type Principal = Actor & { authTime: number | null };

const SUPPORTED_ALGORITHMS = ['EdDSA'];

/**
 * Verifies bearer JWTs: signature against the configured public key, issuer, audience, expiry and
 * not-before, and the claims the service relies on (sub, name, role, site). Any failure is reported
 * as `null`; callers answer 401 without saying which check failed.
 */
@Injectable()
export class TokenVerifier {
  private key: Promise<KeyLike> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private publicKey(): Promise<KeyLike> {
    if (!this.key) {
      const pem = fs.readFileSync(this.config.auth.publicKeyFile, 'utf8');
      // The embedded default signs with Ed25519; OIDC providers (JWKS) arrive with the security issue.
      this.key = importSPKI(pem, 'EdDSA');
    }
    return this.key;
  }

  async verify(token: string): Promise<Principal | null> {
    try {
      const { payload } = await jwtVerify(token, await this.publicKey(), {
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        algorithms: SUPPORTED_ALGORITHMS,
        clockTolerance: 5,
      });
      const { sub, name, role, site } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || sub === '' || typeof name !== 'string' || name === '') return null;
      if (typeof role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(role)) return null;
      if (typeof site !== 'string' || site === '') return null;
      const authTime = typeof payload['auth_time'] === 'number' ? payload['auth_time'] : null;
      return { id: sub, name, role: role as StaffRole, siteId: site, authTime };
    } catch {
      return null;
    }
  }
}
