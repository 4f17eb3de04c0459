import { createPrivateKey, createPublicKey } from 'node:crypto';
import * as fs from 'node:fs';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { importPKCS8, SignJWT, type KeyLike } from 'jose';
import type { AppConfig } from '@care/config';
import { APP_CONFIG } from '../infrastructure/tokens';
import { MULTI_SITE_ROLES } from '../auth/token-verifier';
import { ApiError } from '../errors/api-error';
import type { StaffRole } from '@care/protocol';

/** How long a local sign-in lasts (a working day). */
const TOKEN_TTL_SECONDS = 8 * 3600;

export type SignInOptions =
  | { mode: 'local'; roles: string[]; signatureMaxAuthAgeMinutes: number }
  | { mode: 'oidc'; oidc: { authority: string; clientId: string; scope: string }; signatureMaxAuthAgeMinutes: number }
  | { mode: 'none'; signatureMaxAuthAgeMinutes: number };

/**
 * The embedded default's sign-in: anyone who can reach the API picks a name, role and site and gets a token
 * signed with the generated development key. It exists only when the API is given that key's private half
 * (AUTH_LOCAL_SIGN_IN_KEY_FILE), which must match the public key tokens are verified with; with an OIDC
 * provider it is refused by the configuration and its route answers 404.
 */
@Injectable()
export class LocalSignIn implements OnModuleInit {
  private key: KeyLike | null = null;
  private readonly logger = new Logger('LocalSignIn');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.console.localSignInKeyFile !== null;
  }

  async onModuleInit(): Promise<void> {
    const file = this.config.console.localSignInKeyFile;
    if (!file) return;
    const privatePem = fs.readFileSync(file, 'utf8');
    const publicPem = this.config.auth.publicKeyFile ? fs.readFileSync(this.config.auth.publicKeyFile, 'utf8') : '';
    const derived = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }).toString();
    // A key that does not match would issue tokens the API then refuses: a broken sign-in, refused at start.
    if (derived.trim() !== publicPem.trim()) throw new Error('AUTH_LOCAL_SIGN_IN_KEY_FILE is not the private half of AUTH_PUBLIC_KEY_FILE');
    this.key = await importPKCS8(privatePem, 'EdDSA');
    this.logger.warn('local sign-in is on: anyone who reaches the API can sign in with any name, role and site (embedded default only)');
  }

  options(): SignInOptions {
    const signatureMaxAuthAgeMinutes = this.config.signatures.maxAuthAgeMinutes;
    if (this.enabled) return { mode: 'local', roles: ['coordinator', 'therapist', 'physician', 'auditor', 'admin'], signatureMaxAuthAgeMinutes };
    if (this.config.console.oidc) return { mode: 'oidc', oidc: this.config.console.oidc, signatureMaxAuthAgeMinutes };
    return { mode: 'none', signatureMaxAuthAgeMinutes };
  }

  async signIn(input: { name: string; role: string; site: string }): Promise<{ token: string; expiresAt: string; sub: string }> {
    if (!this.key) throw new ApiError({ statusCode: 404, code: 'NOT_FOUND', message: 'Not found.' });
    const sites = [...new Set(input.site.split(',').map((s) => s.trim()).filter(Boolean))];
    if (sites.length > 1 && !MULTI_SITE_ROLES.includes(input.role as StaffRole)) {
      throw ApiError.badRequest([{ field: 'site', message: 'only auditors may have several sites (staff act for one site at a time)' }]);
    }
    const name = input.name.trim();
    // The same printed name is the same local user, so their records stay theirs across sign-ins.
    const sub = `local:${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'user'}`;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ name, role: input.role, site: sites.length > 1 ? sites : sites[0], auth_time: now })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject(sub)
      .setIssuer(this.config.auth.issuer)
      .setAudience(this.config.auth.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .sign(this.key);
    return { token, expiresAt: new Date((now + TOKEN_TTL_SECONDS) * 1000).toISOString(), sub };
  }
}
