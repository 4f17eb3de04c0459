import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

const keyring = (current: string, ...ids: string[]) => ({ current, keys: new Map(ids.map((id) => [id, randomBytes(32)])) });

describe('SecretBox', () => {
  it('seals without the plaintext showing and opens to the same text', () => {
    const box = new SecretBox(keyring('k1', 'k1'));
    const sealed = box.seal('whsec_abc', 'subscription');
    expect(sealed).toMatch(/^v1:k1:/);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed, 'subscription')).toBe('whsec_abc');
  });

  it('refuses a value altered, moved to another purpose, or under an unknown key', () => {
    const box = new SecretBox(keyring('k1', 'k1'));
    const sealed = box.seal('whsec_abc', 'subscription');
    const bytes = Buffer.from(sealed.split(':')[2]!, 'base64');
    bytes[14] = bytes[14]! ^ 1;
    expect(() => box.open(`v1:k1:${bytes.toString('base64')}`, 'subscription')).toThrow();
    expect(() => box.open(sealed, 'source')).toThrow();
    expect(() => box.open(sealed.replace('v1:k1:', 'v1:k9:'), 'subscription')).toThrow(/unknown/);
  });
});
