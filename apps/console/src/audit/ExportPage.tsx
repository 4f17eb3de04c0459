import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiProblem, query } from '../api/http';
import { useSession } from '../auth/session';
import { ErrorNotice, Notice, PageTitle } from '../ui/feedback';
import { EVENT_FILTERS, type FilterValues } from './filters';
import { FilterForm } from './FilterForm';
import { downloadExport, IncompleteExport, type ExportFile, type ExportFormat, type Progress } from './exportStream';
import { useUrlFilters } from './paging';

type State =
  | { step: 'idle' }
  | { step: 'running'; progress: Progress }
  | { step: 'done'; file: ExportFile; url: string }
  | { step: 'failed'; error: unknown; progress: Progress };

const FORMATS: { value: ExportFormat; label: string; hint: string }[] = [
  { value: 'ndjson', label: 'NDJSON', hint: 'One JSON object per line, every field of every entry: for tools and archives.' },
  { value: 'csv', label: 'CSV', hint: 'One row per entry: for spreadsheets. Structured values are JSON text in their cell.' },
];

export const formatBytes = (n: number): string => {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
};

const entriesText = (n: number) => `${n.toLocaleString()} ${n === 1 ? 'entry' : 'entries'}`;

/** Every entry that matches the filters, as one file, streamed from the service with its progress shown. */
export const ExportPage = () => {
  const { params, values, search, formKey } = useUrlFilters(EVENT_FILTERS, ['format']);
  const [format, setFormat] = useState<ExportFormat>(params.get('format') === 'csv' ? 'csv' : 'ndjson');
  const { state, start, stop } = useExport();

  const submit = (next: FilterValues) => {
    search(next, () => undefined, { format });
    start(`/audit/export${query({ ...next, format })}`, format);
  };

  return (
    <>
      <PageTitle title="Export the audit trail">Export the audit trail</PageTitle>
      <p>Downloads every entry that matches the filters, oldest first. Large exports take a while; keep this page open until the file is offered.</p>
      <FilterForm key={formKey} fields={EVENT_FILTERS} values={values} onSubmit={submit} submitLabel="Start the export" busy={state.step === 'running'}>
        <fieldset>
          <legend>File format</legend>
          {FORMATS.map((f) => (
            <div className="field" key={f.value}>
              <label>
                <input type="radio" name="format" value={f.value} checked={format === f.value} onChange={() => setFormat(f.value)} aria-describedby={`format-${f.value}-hint`} /> {f.label}
              </label>
              <p id={`format-${f.value}-hint`} className="hint">
                {f.hint}
              </p>
            </div>
          ))}
        </fieldset>
      </FilterForm>
      <ExportStatus state={state} onStop={stop} />
    </>
  );
};

/** The download's life: one at a time, stopped when the page closes, its file URL released when replaced. */
const useExport = () => {
  const { token, signOut } = useSession();
  const [state, setState] = useState<State>({ step: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const fileUrl = useRef<string | null>(null);

  const release = () => {
    if (fileUrl.current) URL.revokeObjectURL(fileUrl.current);
    fileUrl.current = null;
  };
  useEffect(
    () => () => {
      controller.current?.abort();
      release();
    },
    [],
  );

  const start = useCallback(
    (path: string, format: ExportFormat) => {
      controller.current?.abort();
      release();
      const ours = new AbortController();
      controller.current = ours;
      let progress: Progress = { bytes: 0, entries: 0 };
      setState({ step: 'running', progress });
      downloadExport({
        path,
        token,
        format,
        signal: ours.signal,
        onProgress: (p) => {
          progress = p;
          setState({ step: 'running', progress: p });
        },
      }).then(
        (file) => {
          if (controller.current !== ours) return;
          // Navigating to a blob: URL to save it is not a fetch, so the page's connect-src does not apply.
          fileUrl.current = URL.createObjectURL(file.blob);
          setState({ step: 'done', file, url: fileUrl.current });
        },
        (error: unknown) => {
          if (controller.current !== ours) return; // replaced by a newer export, or the page closed
          if (error instanceof ApiProblem && error.status === 401) signOut('Your sign-in has ended. Please sign in again.');
          setState({ step: 'failed', error, progress: error instanceof IncompleteExport ? error.progress : progress });
        },
      );
    },
    [token, signOut],
  );

  const stop = useCallback(() => controller.current?.abort(), []);
  return { state, start, stop };
};

const ExportStatus = ({ state, onStop }: { state: State; onStop: () => void }) => {
  const link = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (state.step === 'done') link.current?.focus();
  }, [state.step]);
  if (state.step === 'idle') return null;
  return (
    <section aria-labelledby="export-status-heading" data-testid="export-status">
      <h2 id="export-status-heading">Export</h2>
      {state.step === 'running' ? (
        <>
          <p role="status">The export is running.</p>
          <progress aria-label="Export progress" />
          <p data-testid="export-progress">
            Received {formatBytes(state.progress.bytes)}, {entriesText(state.progress.entries)} so far.
          </p>
          <button type="button" className="secondary" onClick={onStop}>
            Stop the export
          </button>
        </>
      ) : null}
      {state.step === 'done' ? (
        <>
          <progress aria-label="Export progress" value={1} max={1} />
          <Notice kind="success">
            <span data-testid="export-complete">
              The export is complete: {entriesText(state.file.entries)}, {formatBytes(state.file.bytes)}.
            </span>
          </Notice>
          <p>
            <a ref={link} className="button" href={state.url} download={state.file.filename} data-testid="export-download">
              Save {state.file.filename}
            </a>
          </p>
        </>
      ) : null}
      {state.step === 'failed' ? <ExportFailure error={state.error} progress={state.progress} /> : null}
    </section>
  );
};

const ExportFailure = ({ error, progress }: { error: unknown; progress: Progress }) => {
  if (error instanceof Error && error.name === 'AbortError') return <Notice kind="warning">You stopped the export. No file is offered.</Notice>;
  if (error instanceof IncompleteExport) {
    return (
      <div className="notice notice-error" role="alert" data-testid="export-incomplete">
        <strong>The export broke off before its end.</strong> {entriesText(progress.entries)} ({formatBytes(progress.bytes)}) had arrived. An incomplete file could be taken
        for the whole record, so none is offered. Start the export again; if it keeps breaking off, narrow the filters.
      </div>
    );
  }
  return <ErrorNotice error={error} title="The export could not be made." />;
};
