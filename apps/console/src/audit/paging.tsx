import { Link, useSearchParams } from 'react-router-dom';
import { CURSOR, searchParamsOf, valuesOf, type FilterField, type FilterValues } from './filters';

/**
 * The URL as the page's state: the filters of `fields` (and the parameters named in `keep`, e.g. the
 * export format), and the cursor of the page shown. A new search drops the cursor (first page again);
 * the same search again only asks the API again (the URL would not change).
 */
export const useUrlFilters = (fields: FilterField[], keep: string[] = []) => {
  const [params, setParams] = useSearchParams();
  const values = valuesOf(fields, params);
  const kept = Object.fromEntries(keep.flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : [])));
  const search = (next: FilterValues, again: () => void, extra: Record<string, string> = {}) => {
    const nextParams = searchParamsOf(next, { ...kept, ...extra });
    if (nextParams.toString() === params.toString()) again();
    else setParams(nextParams);
  };
  // Changes whenever the filters in the URL change (back button, a link), so the form is drawn afresh from them.
  const formKey = searchParamsOf(values, kept).toString();
  return { params, values, search, formKey, cursor: params.get(CURSOR) };
};

/** "Next page" (the API's cursor, kept in the URL so the back button returns) and a way back to the first. */
export const Pager = ({ nextCursor, what }: { nextCursor: string | null; what: string }) => {
  const [params] = useSearchParams();
  const onLaterPage = params.has(CURSOR);
  if (!nextCursor && !onLaterPage) return null;
  const withCursor = (cursor: string | null) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set(CURSOR, cursor);
    else next.delete(CURSOR);
    return `?${next.toString()}`;
  };
  return (
    <nav aria-label={`Pages of ${what}`} className="actions">
      {onLaterPage ? <Link to={{ search: withCursor(null) }}>First page</Link> : null}
      {nextCursor ? <Link to={{ search: withCursor(nextCursor) }}>Next page</Link> : <span className="muted">This is the last page.</span>}
    </nav>
  );
};
