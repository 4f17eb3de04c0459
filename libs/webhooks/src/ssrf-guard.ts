import * as dns from 'node:dns';
import * as net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Networks an operator explicitly allows despite not being public (e.g. a receiver on the same host). */
export type AllowedNetworks = readonly AllowedNetwork[];

export interface AllowedNetwork {
  readonly address: Address;
  readonly prefixLength: number;
  /** As written in the configuration, for logs. */
  readonly text: string;
}

/**
 * Parses a comma-separated CIDR list such as `127.0.0.1/32,::1/128` (a bare address means a single
 * host). Throws naming the first bad entry. IPv4-mapped IPv6 networks are stored as IPv4, like the
 * addresses they are compared with.
 */
export const parseAllowedNetworks = (csv: string | undefined): AllowedNetworks =>
  (csv ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((text): AllowedNetwork => {
      const [host = '', prefix, ...rest] = text.split('/');
      // net.isIP is strict (dotted quads only); ipaddr.js alone would also take "0x7f.1" or "2130706433".
      const family = net.isIP(host);
      if (family === 0 || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
        throw new Error(`invalid entry "${text}" in the allowed networks: expected CIDR such as 127.0.0.1/32 or ::1/128`);
      }
      const prefixLength = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
      if (prefixLength > (family === 4 ? 32 : 128)) throw new Error(`invalid entry "${text}" in the allowed networks: prefix length out of range`);
      const address = ipaddr.parse(host);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefixLength >= 96) {
        return { address: (address as ipaddr.IPv6).toIPv4Address(), prefixLength: prefixLength - 96, text };
      }
      return { address, prefixLength, text };
    });

/** `::/8` is IETF-reserved; ipaddr.js calls much of it unicast, including IPv4-compatible `::127.0.0.1`. */
const IPV6_RESERVED_ZERO: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 8];

/**
 * Cloud metadata services hand out credentials: never reachable, whatever the allow-list says
 * (AWS/GCP/Azure/Oracle IPv4, AWS IPv6, Alibaba).
 */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

const parse = (address: string): Address | undefined => {
  try {
    return ipaddr.process(address);
  } catch {
    return undefined;
  }
};

/** ipaddr.js' range name, with `::/8` folded into `reserved`; `unicast` means publicly routable. */
const rangeOf = (address: Address): string =>
  address.kind() === 'ipv6' && address.match(IPV6_RESERVED_ZERO) && address.range() === 'unicast' ? 'reserved' : address.range();

/**
 * True only for a publicly routable unicast address. `ipaddr.process` turns IPv4-mapped IPv6 into
 * IPv4 first; 6to4, Teredo and NAT64 (which embed IPv4 addresses) are never `unicast`, so they are
 * refused as a whole rather than decoded.
 */
export const isPublicUnicast = (address: string): boolean => {
  const parsed = parse(address);
  return parsed !== undefined && rangeOf(parsed) === 'unicast';
};

export const isInAllowedNetworks = (address: string, allowed: AllowedNetworks): boolean => {
  const parsed = parse(address);
  return parsed !== undefined && allowed.some((network) => parsed.kind() === network.address.kind() && parsed.match(network.address, network.prefixLength));
};

export type AddressVerdict = { allowed: true; reason: 'public' | 'allowlisted' } | { allowed: false; reason: string };

export interface CheckAddressOptions {
  /** Plain-http deliveries: only the allowed networks, public addresses are not enough. */
  allowlistOnly?: boolean;
}

/**
 * Allowed if publicly routable unicast or inside an allowed network (cloud metadata never). The
 * refusal reason names the range (loopback, private, linkLocal, carrierGradeNat, uniqueLocal, ...).
 */
export const checkAddress = (address: string, allowed: AllowedNetworks, options: CheckAddressOptions = {}): AddressVerdict => {
  const parsed = parse(address);
  if (parsed === undefined) return { allowed: false, reason: 'not an IP address' };
  if (METADATA_ADDRESSES.has(parsed.toNormalizedString()) || METADATA_ADDRESSES.has(parsed.toString())) return { allowed: false, reason: 'cloud metadata' };
  if (isInAllowedNetworks(address, allowed)) return { allowed: true, reason: 'allowlisted' };
  if (options.allowlistOnly) return { allowed: false, reason: 'not in the allowed networks (required for http)' };
  const range = rangeOf(parsed);
  return range === 'unicast' ? { allowed: true, reason: 'public' } : { allowed: false, reason: range };
};

export type UrlCheck =
  | {
      ok: true;
      url: URL;
      /** Set when the host is an IP literal (already checked; no DNS involved). */
      literalAddress?: string;
      /** http: the name must resolve into the allowed networks (the guarded dispatcher enforces it). */
      allowlistOnly: boolean;
    }
  | { ok: false; kind: 'invalid_url' | 'blocked'; reason: string };

/**
 * Static checks before any connection. Only https, except http to the allowed networks; no
 * credentials. IP-literal hosts are decided here because undici (Node's net) never calls the
 * `lookup` hook for them; WHATWG URL parsing has already normalised odd forms (`2130706433`,
 * `0x7f.1`, `127.1` become `127.0.0.1`; `[::ffff:127.0.0.1]` becomes `[::ffff:7f00:1]`). Host names
 * are left to the guarded dispatcher, which checks what they resolve to.
 */
export const checkUrl = (input: string | URL, allowed: AllowedNetworks): UrlCheck => {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    return { ok: false, kind: 'invalid_url', reason: 'not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, kind: 'invalid_url', reason: `scheme ${url.protocol} is not allowed` };
  if (url.username !== '' || url.password !== '') return { ok: false, kind: 'invalid_url', reason: 'credentials in the URL are not allowed' };
  const host = unbracket(url.hostname);
  if (host === '') return { ok: false, kind: 'invalid_url', reason: 'no host' };
  const allowlistOnly = url.protocol === 'http:';
  if (net.isIP(host) === 0) return { ok: true, url, allowlistOnly };
  const verdict = checkAddress(host, allowed, { allowlistOnly });
  if (!verdict.allowed) return { ok: false, kind: 'blocked', reason: `${host}: ${verdict.reason}` };
  return { ok: true, url, literalAddress: host, allowlistOnly };
};

const unbracket = (hostname: string): string => (hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname);

/** Thrown (through undici) when a host is, or resolves only to, refused addresses. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_BLOCKED_ADDRESS';
  constructor(
    readonly hostname: string,
    readonly refused: readonly { address: string; reason: string }[],
  ) {
    super(`${hostname} refused: ${refused.map((r) => `${r.address} (${r.reason})`).join(', ') || 'no addresses'}`);
    this.name = 'BlockedAddressError';
  }
}

export const isBlockedAddressError = (error: unknown): error is BlockedAddressError =>
  error instanceof BlockedAddressError || (error as { code?: unknown } | null)?.code === 'ERR_WEBHOOK_BLOCKED_ADDRESS';

/** `dns.lookup` with `all: true`; replaceable in tests to simulate names resolving anywhere. */
export type ResolveAll = (hostname: string, options: dns.LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

export interface GuardedDispatcherOptions {
  resolve?: ResolveAll;
  /** TCP + TLS handshake limit; undici's default is 10 s. */
  connectTimeoutMs?: number;
}

const defaultResolve: ResolveAll = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/**
 * A lookup hook for net/tls.connect (also usable with node:http's `lookup` option): resolves every address, keeps only those that pass, and hands
 * only those to the socket, so the connection goes to an address that was checked (no window for a
 * second, rebound resolution). Answers both shapes Node asks for: `all: true` (autoSelectFamily,
 * the Node 20 default) expects an array, otherwise one address and its family.
 */
export const createGuardedLookup =
  (allowed: AllowedNetworks, { allowlistOnly = false, resolve = defaultResolve }: { allowlistOnly?: boolean; resolve?: ResolveAll } = {}): net.LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const verdicts = addresses.map((a) => ({ ...a, verdict: checkAddress(a.address, allowed, { allowlistOnly }) }));
      const passed = verdicts.filter((a) => a.verdict.allowed).map(({ address, family }) => ({ address, family }));
      if (passed.length === 0) {
        return callback(new BlockedAddressError(hostname, verdicts.map((a) => ({ address: a.address, reason: a.verdict.reason }))), []);
      }
      if (options.all) return callback(null, passed);
      return callback(null, passed[0]!.address, passed[0]!.family);
    });
  };

/**
 * An undici Agent that only connects to allowed addresses: names through the guarded lookup,
 * IP literals checked in the connector (Node skips `lookup` for them, so `connect: { lookup }` alone
 * lets `http://127.0.0.1` through). Plain http connects only into the allowed networks. Use it with
 * undici's own `request`/`fetch` (Node 20's global fetch bundles another undici). No proxy is used.
 */
export const createGuardedDispatcher = (allowed: AllowedNetworks, options: GuardedDispatcherOptions = {}): Agent => {
  const resolve = options.resolve ?? defaultResolve;
  const timeout = options.connectTimeoutMs ?? 10_000;
  const https = buildConnector({ timeout, lookup: createGuardedLookup(allowed, { resolve }) });
  const http = buildConnector({ timeout, lookup: createGuardedLookup(allowed, { allowlistOnly: true, resolve }) });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const allowlistOnly = connectOptions.protocol !== 'https:';
    const host = unbracket(connectOptions.hostname);
    if (net.isIP(host) !== 0) {
      const verdict = checkAddress(host, allowed, { allowlistOnly });
      if (!verdict.allowed) return callback(new BlockedAddressError(host, [{ address: host, reason: verdict.reason }]), null);
    }
    return (allowlistOnly ? http : https)(connectOptions, callback);
  };
  return new Agent({ connect });
};
