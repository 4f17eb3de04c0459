import { useEffect, useRef, type ReactNode } from 'react';
import { ApiProblem, isRefusal } from '../api/http';

/**
 * An API refusal or failure in the API's own words, with the fields it names and the request id to quote.
 * `refusedTitle` (e.g. "Not recorded:") is shown only for a refusal (4xx): after a 5xx or a lost answer
 * the request may have taken effect, and the notice must not claim otherwise.
 */
export const ErrorNotice = ({ error, title, refusedTitle }: { error: unknown; title?: string; refusedTitle?: string }) => {
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error : null;
  if (refusedTitle) title = isRefusal(error) ? refusedTitle : 'The outcome is not known yet: check before trying again.';
  return (
    <div className="notice notice-error" role="alert">
      {title ? <strong>{title} </strong> : null}
      <span data-testid="error-message">{problem ? problem.body.message : 'Something went wrong in the console. Reload the page; nothing is sent twice.'}</span>
      {problem?.body.errors?.length ? (
        <ul>
          {problem.body.errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p className="muted small">
          Code {problem.body.code}
          {problem.body.correlationId ? ` · request ${problem.body.correlationId}` : ''}
        </p>
      ) : null}
    </div>
  );
};

export const Notice = ({ kind = 'info', children }: { kind?: 'info' | 'success' | 'warning'; children: ReactNode }) => (
  <div className={`notice notice-${kind}`} role={kind === 'info' ? 'status' : 'alert'}>
    {children}
  </div>
);

export const Loading = ({ what }: { what: string }) => (
  <p className="muted" role="status">
    Loading {what}…
  </p>
);

/** The page's heading; it takes focus when the page opens so screen readers announce the new page. */
export const PageTitle = ({ children, title }: { children: ReactNode; title: string }) => {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Course of care`;
    ref.current?.focus();
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
};
