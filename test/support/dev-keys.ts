import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';

export type TokenClaims = { sub: string; name: string; role: string; site: string; [claim: string]: unknown };

/** A signing key for tests, with its public half written where the API's config points. */
export const createTestSigner = async (dir: string, issuer: string, audience: string) => {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  fs.mkdirSync(dir, { recursive: true });
  const publicKeyFile = path.join(dir, 'jwt-public.pem');
  fs.writeFileSync(publicKeyFile, await exportSPKI(publicKey as KeyLike));
  const sign = (claims: TokenClaims, options: { expiresIn?: string; key?: KeyLike; issuer?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '10m')
      .sign(options.key ?? privateKey);
  return { publicKeyFile, sign };
};
