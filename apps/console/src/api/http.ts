/**
 * The console's only way to the service: the public HTTP API on the same origin, with the signed-in
 * person's bearer token. Every error answer has the API's one shape (`statusCode`, `code`, `message`,
 * `errors`), kept whole so pages can show the protocol's own sentence.
 */

export type FieldProblem = { field: string; message: string };
export type ErrorBody = { statusCode: number; code: string; message: string; details?: Record<string, unknown>; errors?: FieldProblem[]; correlationId?: string };

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
  get code(): string {
    return this.body.code;
  }
}

export type RequestOptions = { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal };
export type Answer<T> = { status: number; body: T; headers: Headers };

const asErrorBody = (status: number, parsed: unknown, text: string): ErrorBody => {
  if (parsed && typeof parsed === 'object' && typeof (parsed as ErrorBody).code === 'string' && typeof (parsed as ErrorBody).message === 'string') return parsed as ErrorBody;
  // Not the API's shape (a proxy in between, a network page): say what is known and no more.
  return { statusCode: status, code: status === 0 ? 'NETWORK' : 'UNEXPECTED_ANSWER', message: text ? `The service answered ${status}.` : 'The service could not be reached.' };
};

/** Calls the API; answers 2xx with the parsed body, throws ApiProblem otherwise (status 0: not reached). */
export const request = async <T>(token: string | null, path: string, options: RequestOptions = {}): Promise<Answer<T>> => {
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
      credentials: 'omit',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiProblem(0, asErrorBody(0, null, ''));
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (!response.ok) throw new ApiProblem(response.status, asErrorBody(response.status, parsed, text));
  return { status: response.status, body: parsed as T, headers: response.headers };
};

/** A query string from the set values only. */
export const query = (params: Record<string, string | number | boolean | undefined | null>): string => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
};

/** A fresh key per intended command, so a retry of the same submission is executed at most once. */
export const newIdempotencyKey = (): string => crypto.randomUUID();

/** A 4xx answer: the service refused the request, so nothing of it was recorded. Anything else may have been. */
export const isRefusal = (error: unknown): boolean => error instanceof ApiProblem && error.status >= 400 && error.status < 500;
