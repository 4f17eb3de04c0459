import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type Dispatcher, request } from 'undici';
import { type AllowedNetworks, checkUrl, createGuardedDispatcher, isBlockedAddressError } from './ssrf-guard';

export type DeliveryErrorKind = 'timeout' | 'network' | 'blocked' | 'invalid_url';

export interface DeliveryError {
  kind: DeliveryErrorKind;
  /** For logs: names hosts and error codes, never the request body or the URL's path and query. */
  message: string;
}

export interface DeliveryResult {
  /** Set when the endpoint answered; absent with `error`. */
  status?: number;
  /** The raw `Retry-After` header, if any (see parseRetryAfter). */
  retryAfter?: string;
  /** The start of the response body as text, at most maxResponseBytes bytes. */
  responseExcerpt: string;
  /** From the start of the attempt to the response headers (or to the failure). */
  latencyMs: number;
  error?: DeliveryError;
}

export interface PostWebhookInput {
  url: string;
  body: string | Buffer;
  /** Usually signWebhook's headers; content-type defaults to application/json. */
  headers: Readonly<Record<string, string>>;
  allowedNetworks: AllowedNetworks;
  /** The whole attempt: connect, headers and excerpt. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  /**
   * A long-lived dispatcher from createGuardedDispatcher(allowedNetworks) to reuse connections; any
   * other dispatcher bypasses the resolved-address checks. Without one, a guarded dispatcher is made
   * for this call and destroyed after it.
   */
  dispatcher?: Dispatcher;
}

/**
 * One delivery attempt: POST, redirects returned as-is (undici's `request` never follows them), the
 * whole attempt aborted after timeoutMs, at most maxResponseBytes of the answer read before the
 * stream is destroyed. Endpoint problems come back as `error`; only invalid arguments throw.
 */
export const postWebhook = async ({
  url,
  body,
  headers,
  allowedNetworks,
  timeoutMs = 15_000,
  maxResponseBytes = 1024,
  dispatcher,
}: PostWebhookInput): Promise<DeliveryResult> => {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 0) throw new RangeError('maxResponseBytes must be a non-negative integer');

  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const checked = checkUrl(url, allowedNetworks);
  if (!checked.ok) return { responseExcerpt: '', latencyMs: elapsed(), error: { kind: checked.kind, message: checked.reason } };

  const own = dispatcher ? undefined : createGuardedDispatcher(allowedNetworks, { connectTimeoutMs: timeoutMs });
  const controller = new AbortController();
  const timedOut = new Error(`no complete answer within ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  try {
    const pending = request(checked.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'care-webhooks/1', ...lowerCaseKeys(headers) },
      body,
      signal: controller.signal,
      dispatcher: dispatcher ?? own,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const response = await untilAborted(pending, controller.signal);
    const latencyMs = elapsed();
    const retryAfter = firstValue(response.headers['retry-after']);
    const responseExcerpt = await readExcerpt(response.body, maxResponseBytes);
    return { status: response.statusCode, ...(retryAfter === undefined ? {} : { retryAfter }), responseExcerpt, latencyMs };
  } catch (error) {
    return { responseExcerpt: '', latencyMs: elapsed(), error: describe(error, timedOut, checked.url.host) };
  } finally {
    clearTimeout(timer);
    if (own) await own.destroy().catch(() => undefined);
  }
};

/**
 * undici only acts on an abort once the request has a connection: while a lookup or a TCP handshake
 * hangs, `request` ignores the signal until the connector's own timeout (10 s by default). So the
 * caller's wait ends at the abort; the late outcome is dropped (undici aborts it on connecting).
 */
const untilAborted = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });

/**
 * Reads chunks only until `limit` bytes are in hand, then destroys the stream (undici drops the
 * connection instead of draining a large or endless body). A body error after the status line is
 * ignored: the status is the answer. The decoder keeps back a multi-byte character cut at the limit.
 */
const readExcerpt = async (stream: Readable, limit: number): Promise<string> => {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let remaining = limit;
  try {
    for await (const chunk of stream) {
      if (remaining <= 0) break;
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      const taken = bytes.subarray(0, remaining);
      remaining -= taken.length;
      text += decoder.write(taken);
      if (remaining <= 0) break;
    }
  } catch {
    // Timed out or reset mid-body: keep what arrived.
  } finally {
    // A fully read body is left alone so the connection can be reused.
    if (!stream.readableEnded) stream.destroy();
  }
  return text;
};

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Built from error codes and undici/Node messages, which name hosts and addresses, never payloads. */
const describe = (error: unknown, timedOut: Error, host: string): DeliveryError => {
  const err = error as { code?: string; message?: string; cause?: unknown } | undefined;
  if (isBlockedAddressError(error)) return { kind: 'blocked', message: error.message };
  if (isBlockedAddressError(err?.cause)) return { kind: 'blocked', message: err.cause.message };
  if (error === timedOut || (err?.code !== undefined && TIMEOUT_CODES.has(err.code))) return { kind: 'timeout', message: `${host}: ${timedOut.message}` };
  const code = err?.code ?? (error instanceof Error ? error.name : 'Error');
  const message = typeof err?.message === 'string' ? err.message : String(error);
  return { kind: 'network', message: `${host}: ${code}: ${message}`.slice(0, 300) };
};

const lowerCaseKeys = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

const firstValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
