import type { LookupAddress } from 'node:dns';
import { BlockedAddressError, checkAddress, checkUrl, createGuardedLookup, isInAllowedNetworks, isPublicUnicast, parseAllowedNetworks, type ResolveAll } from './ssrf-guard';

const LOCAL = parseAllowedNetworks('127.0.0.1/32,::1/128');

describe('isPublicUnicast', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8'])('%s is public', (a) => {
    expect(isPublicUnicast(a)).toBe(true);
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback, anywhere in 127/8', '127.255.0.9'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.31.255.1'],
    ['private 192.168/16', '192.168.1.1'],
    ['link-local', '169.254.10.10'],
    ['cloud metadata', '169.254.169.254'],
    ['CGNAT 100.64/10', '100.64.0.1'],
    ['CGNAT, top', '100.127.255.254'],
    ['this network', '0.0.0.0'],
    ['this network, 0/8', '0.1.2.3'],
    ['broadcast', '255.255.255.255'],
    ['multicast', '224.0.0.1'],
    ['reserved 240/4', '240.0.0.1'],
    ['documentation', '192.0.2.1'],
    ['benchmarking', '198.18.0.1'],
    ['IETF protocol assignments', '192.0.0.8'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 link-local with zone', 'fe80::1%eth0'],
    ['unique-local fc00::/7', 'fc00::1'],
    ['unique-local fd', 'fd12:3456::1'],
    ['AWS IPv6 metadata', 'fd00:ec2::254'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv6 documentation', '2001:db8::1'],
    ['site-local (deprecated)', 'fec0::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped loopback, hex', '::ffff:7f00:1'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['IPv4-compatible loopback (::/8)', '::127.0.0.1'],
    ['IPv4-compatible loopback, canonical', '::7f00:1'],
    ['6to4 of loopback', '2002:7f00:1::1'],
    ['6to4 of private', '2002:a00:1::1'],
    ['6to4 of a public address, refused as a whole', '2002:808:808::1'],
    ['Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['NAT64 of loopback', '64:ff9b::7f00:1'],
    ['NAT64 of private', '64:ff9b::10.0.0.1'],
    ['local-use NAT64', '64:ff9b:1::a00:1'],
    ['discard prefix', '100::1'],
    ['a name', 'localhost'],
    ['empty', ''],
  ])('%s (%s) is not', (_label, a) => {
    expect(isPublicUnicast(a)).toBe(false);
  });
});

describe('parseAllowedNetworks', () => {
  it('parses a CIDR list, trimming and skipping empty entries; a bare address is one host', () => {
    const nets = parseAllowedNetworks(' 127.0.0.1/32 , ::1/128,,10.0.0.0/8, 192.168.5.5 ');
    expect(nets.map((n) => [n.text, n.prefixLength])).toEqual([
      ['127.0.0.1/32', 32],
      ['::1/128', 128],
      ['10.0.0.0/8', 8],
      ['192.168.5.5', 32],
    ]);
    expect(parseAllowedNetworks('')).toEqual([]);
    expect(parseAllowedNetworks(undefined)).toEqual([]);
    expect(isInAllowedNetworks('10.200.1.1', nets)).toBe(true);
    expect(isInAllowedNetworks('192.168.5.6', nets)).toBe(false);
  });

  it('stores IPv4-mapped networks as IPv4, like the addresses compared with them', () => {
    const nets = parseAllowedNetworks('::ffff:10.0.0.0/104');
    expect(nets[0]!.address.kind()).toBe('ipv4');
    expect(nets[0]!.prefixLength).toBe(8);
    expect(isInAllowedNetworks('10.9.9.9', nets)).toBe(true);
    expect(isInAllowedNetworks('::ffff:10.9.9.9', nets)).toBe(true);
  });

  it.each(['10.0.0.0/33', '::1/129', 'localhost/32', '0x7f.1/32', '2130706433', '10.0.0.0/8/1', '10.0.0.0/abc', '10.0.0.0/', '300.1.1.1/32'])(
    'names the bad entry %s',
    (bad) => {
      expect(() => parseAllowedNetworks(`127.0.0.1/32,${bad}`)).toThrow(`invalid entry "${bad}"`);
    },
  );
});

describe('checkAddress', () => {
  it('allows public addresses and the allowed networks; names the refused range', () => {
    expect(checkAddress('8.8.8.8', [])).toEqual({ allowed: true, reason: 'public' });
    expect(checkAddress('127.0.0.1', [])).toEqual({ allowed: false, reason: 'loopback' });
    expect(checkAddress('127.0.0.1', LOCAL)).toEqual({ allowed: true, reason: 'allowlisted' });
    expect(checkAddress('127.0.0.2', LOCAL)).toEqual({ allowed: false, reason: 'loopback' });
    expect(checkAddress('::1', LOCAL)).toEqual({ allowed: true, reason: 'allowlisted' });
    expect(checkAddress('::ffff:127.0.0.1', LOCAL)).toEqual({ allowed: true, reason: 'allowlisted' });
    expect(checkAddress('10.0.0.1', [])).toEqual({ allowed: false, reason: 'private' });
    expect(checkAddress('100.64.1.1', [])).toEqual({ allowed: false, reason: 'carrierGradeNat' });
    expect(checkAddress('fd00::1', [])).toEqual({ allowed: false, reason: 'uniqueLocal' });
    // ipaddr.js reads the dotted form "::a.b.c.d" as IPv4-mapped; the canonical form (what DNS and
    // WHATWG URL produce) is IPv4-compatible, which it calls unicast: folded into reserved here.
    expect(checkAddress('::127.0.0.1', [])).toEqual({ allowed: false, reason: 'loopback' });
    expect(checkAddress('::7f00:1', [])).toEqual({ allowed: false, reason: 'reserved' });
    expect(checkAddress('::808:808', [])).toEqual({ allowed: false, reason: 'reserved' });
    expect(checkAddress('nope', LOCAL)).toEqual({ allowed: false, reason: 'not an IP address' });
  });

  it('never allows cloud metadata, not even through a broad allow-list', () => {
    for (const a of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200']) {
      expect(checkAddress(a, parseAllowedNetworks('0.0.0.0/0,::/0'))).toEqual({ allowed: false, reason: 'cloud metadata' });
    }
    expect(checkAddress('169.254.1.1', parseAllowedNetworks('169.254.0.0/16'))).toEqual({ allowed: true, reason: 'allowlisted' });
  });

  it('allowlistOnly (plain http) refuses public addresses', () => {
    expect(checkAddress('8.8.8.8', LOCAL, { allowlistOnly: true }).allowed).toBe(false);
    expect(checkAddress('127.0.0.1', LOCAL, { allowlistOnly: true }).allowed).toBe(true);
  });
});

describe('checkUrl', () => {
  it('passes https host names on to the resolved-address check, http ones only into the allowed networks', () => {
    expect(checkUrl('https://hooks.example.com/in?x=1', [])).toMatchObject({ ok: true, allowlistOnly: false });
    expect(checkUrl('https://hooks.example.com/', [])).not.toHaveProperty('literalAddress');
    expect(checkUrl('http://hooks.example.com/', [])).toMatchObject({ ok: true, allowlistOnly: true });
  });

  it('checks IP literals itself', () => {
    expect(checkUrl('https://8.8.8.8/hook', [])).toMatchObject({ ok: true, literalAddress: '8.8.8.8' });
    expect(checkUrl('https://[2606:4700:4700::1111]/hook', [])).toMatchObject({ ok: true, literalAddress: '2606:4700:4700::1111' });
    expect(checkUrl('https://10.0.0.1/', [])).toEqual({ ok: false, kind: 'blocked', reason: '10.0.0.1: private' });
    expect(checkUrl('http://8.8.8.8/', [])).toMatchObject({ ok: false, kind: 'blocked' });
    expect(checkUrl('http://127.0.0.1:8080/', [])).toMatchObject({ ok: false, kind: 'blocked' });
    expect(checkUrl('http://127.0.0.1:8080/', LOCAL)).toMatchObject({ ok: true, literalAddress: '127.0.0.1', allowlistOnly: true });
    expect(checkUrl('http://[::1]:8080/', LOCAL)).toMatchObject({ ok: true, literalAddress: '::1' });
  });

  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['https://0/', '0.0.0.0'],
    ['https://0x0a.0.0.1/', '10.0.0.1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['https://[::ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe'],
    ['https://[::127.0.0.1]/', '::7f00:1'],
    ['https://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe'],
    ['https://[0:0:0:0:0:0:0:1]/', '::1'],
  ])('WHATWG URL normalises %s to %s, which is refused', (url, normalised) => {
    expect(new URL(url).hostname.replace(/^\[|\]$/g, '')).toBe(normalised);
    expect(checkUrl(url, [])).toMatchObject({ ok: false, kind: 'blocked' });
  });

  it('refuses unusable URLs for good, without echoing path or query', () => {
    expect(checkUrl('not a url', [])).toMatchObject({ ok: false, kind: 'invalid_url' });
    expect(checkUrl('ftp://example.com/', [])).toMatchObject({ ok: false, kind: 'invalid_url' });
    expect(checkUrl('file:///etc/passwd', [])).toMatchObject({ ok: false, kind: 'invalid_url' });
    expect(checkUrl('https://user:secret@example.com/', [])).toMatchObject({ ok: false, kind: 'invalid_url' });
    expect(checkUrl('https://user@example.com/', [])).toMatchObject({ ok: false, kind: 'invalid_url' });
    const blocked = checkUrl('https://10.0.0.1/path-token?key=abc', []);
    expect(blocked.ok || blocked.reason).not.toMatch(/token|abc/);
  });
});

describe('createGuardedLookup', () => {
  const fakeResolve =
    (answers: Record<string, string[]>): ResolveAll =>
    (hostname, _options, callback) => {
      const list = answers[hostname];
      if (!list) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, list.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
    };
  const resolve = fakeResolve({ mixed: ['10.0.0.1', '8.8.8.8', '::1', '2606:4700:4700::1111'], internal: ['10.0.0.1', '169.254.169.254'], local: ['127.0.0.1', '::1'] });

  const lookup = (hostname: string, all: boolean, allowed = parseAllowedNetworks(''), allowlistOnly = false) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((done) =>
      createGuardedLookup(allowed, { allowlistOnly, resolve })(hostname, { all }, (error, address, family) => done({ error, address, family })),
    );

  it('hands over only the addresses that pass, in both shapes Node asks for', async () => {
    expect(await lookup('mixed', true)).toEqual({ error: null, address: [{ address: '8.8.8.8', family: 4 }, { address: '2606:4700:4700::1111', family: 6 }], family: undefined });
    expect(await lookup('mixed', false)).toEqual({ error: null, address: '8.8.8.8', family: 4 });
    expect(await lookup('mixed', true, LOCAL, true)).toEqual({ error: null, address: [{ address: '::1', family: 6 }], family: undefined });
  });

  it('fails with BlockedAddressError listing every refused address when none passes', async () => {
    const { error } = await lookup('internal', true);
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect((error as BlockedAddressError).refused).toEqual([
      { address: '10.0.0.1', reason: 'private' },
      { address: '169.254.169.254', reason: 'cloud metadata' },
    ]);
    expect(error!.message).toBe('internal refused: 10.0.0.1 (private), 169.254.169.254 (cloud metadata)');
    expect((await lookup('local', false)).error).toBeInstanceOf(BlockedAddressError);
    expect((await lookup('local', false, parseAllowedNetworks('127.0.0.1/32'))).address).toBe('127.0.0.1');
  });

  it('passes resolution errors through', async () => {
    expect((await lookup('unknown', true)).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
