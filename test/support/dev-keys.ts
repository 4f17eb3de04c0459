import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';

/** `site` is one site (staff) or a list (auditors). `auth_time` defaults to now; pass `undefined` to leave it out. */
export type TokenClaims = { sub: string; name: string; role: string; site: string | string[]; [claim: string]: unknown };

export type SignOptions = { expiresIn?: string | number; notBefore?: string | number; key?: KeyLike; issuer?: string; audience?: string; kid?: string; alg?: string };

/** A signing key for tests, with its public half written where the API's config points. */
export const createTestSigner = async (dir: string, issuer: string, audience: string) => {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  fs.mkdirSync(dir, { recursive: true });
  const publicKeyFile = path.join(dir, 'jwt-public.pem');
  fs.writeFileSync(publicKeyFile, await exportSPKI(publicKey as KeyLike));
  // The private half too, for the console's local sign-in (the embedded default's), owner-readable only.
  const privateKeyFile = path.join(dir, 'jwt-private.pem');
  fs.writeFileSync(privateKeyFile, await exportPKCS8(privateKey as KeyLike), { mode: 0o600 });
  const sign = (claims: TokenClaims, options: SignOptions = {}) => {
    // Tests sign as someone who has just signed in, so e-signatures pass the freshness check.
    const jwt = new SignJWT({ auth_time: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'EdDSA', ...(options.kid ? { kid: options.kid } : {}) })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '10m');
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    return jwt.sign(options.key ?? privateKey);
  };
  return { publicKeyFile, privateKeyFile, sign, publicKey, privateKey };
};
