import { ApiProblem, type ErrorBody } from '../api/http';

/*
 * GET /audit/export is streamed: the server sends entries as it reads them, and on a failure after
 * the headers it can only break the connection. So the file is read here chunk by chunk (the api()
 * helper would parse JSON), counted as it comes, and offered only when the stream ended normally and
 * ends with a whole line. A broken or short stream becomes an IncompleteExport, never a file.
 */

export type ExportFormat = 'ndjson' | 'csv';
export type Progress = { bytes: number; entries: number };
export type ExportFile = { blob: Blob; filename: string; bytes: number; entries: number };

export class IncompleteExport extends Error {
  constructor(readonly progress: Progress) {
    super('The export stopped before its end.');
    this.name = 'IncompleteExport';
  }
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * Counts entries as text arrives: one per line for NDJSON; for CSV one per line outside quotes (a
 * quoted cell may hold line breaks), less the header line.
 */
export class EntryCounter {
  private lines = 0;
  private inQuotes = false;
  private last = '';
  constructor(private readonly format: ExportFormat) {}

  add(text: string): void {
    const csv = this.format === 'csv';
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE && csv) this.inQuotes = !this.inQuotes;
      else if (c === NEWLINE && !this.inQuotes) this.lines++;
    }
    if (text) this.last = text.charAt(text.length - 1);
  }

  get entries(): number {
    return this.format === 'csv' ? Math.max(0, this.lines - 1) : this.lines;
  }

  /** A complete file ends with a whole line (CSV: at least the header); an empty NDJSON file has no entries. */
  get endsCleanly(): boolean {
    if (this.inQuotes) return false;
    if (this.format === 'ndjson') return this.last === '' || this.last === '\n';
    return this.lines >= 1 && this.last === '\n';
  }
}

const filenameOf = (disposition: string | null, format: ExportFormat): string => {
  const named = disposition ? /filename="([^"]+)"/.exec(disposition)?.[1] : undefined;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const base = (named ?? `audit-export.${format}`).replace(/[^A-Za-z0-9._-]/g, '_');
  // The date in the name keeps successive exports apart in the downloads folder.
  return base.replace(/(\.[A-Za-z0-9]+)?$/, (ext) => `-${stamp}${ext || `.${format}`}`);
};

const problemOf = async (response: Response): Promise<ApiProblem> => {
  const text = await response.text().catch(() => '');
  let body: ErrorBody = { statusCode: response.status, code: 'UNEXPECTED_ANSWER', message: `The service answered ${response.status}.` };
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBody>;
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') body = parsed as ErrorBody;
  } catch {
    /* not the API's error shape */
  }
  return new ApiProblem(response.status, body);
};

type Options = { path: string; token: string | null; format: ExportFormat; signal: AbortSignal; onProgress: (p: Progress) => void };

/** Downloads the export; resolves with the whole file, rejects with ApiProblem (refused), IncompleteExport or AbortError. */
export const downloadExport = async ({ path, token, format, signal, onProgress }: Options): Promise<ExportFile> => {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: { accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      credentials: 'omit',
      signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiProblem(0, { statusCode: 0, code: 'NETWORK', message: 'The service could not be reached.' });
  }
  if (!response.ok) throw await problemOf(response);
  if (!response.body) throw new IncompleteExport({ bytes: 0, entries: 0 });

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const counter = new EntryCounter(format);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
      counter.add(decoder.decode(value, { stream: true }));
      onProgress({ bytes, entries: counter.entries });
    }
    counter.add(decoder.decode());
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    // The server broke the connection (its only signal of a failure once the file has begun).
    throw new IncompleteExport({ bytes, entries: counter.entries });
  }
  if (!counter.endsCleanly) throw new IncompleteExport({ bytes, entries: counter.entries });
  const type = response.headers.get('content-type') ?? (format === 'csv' ? 'text/csv' : 'application/x-ndjson');
  return { blob: new Blob(chunks, { type }), filename: filenameOf(response.headers.get('content-disposition'), format), bytes, entries: counter.entries };
};
