import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useSession } from '../auth/session';
import { formatUtc } from '../ui/time';
import { roleLabel } from './display';
import { DEFAULT_PAGE_SIZE, fromInputValue, PAGE_SIZES, toInputValue, type FilterField, type FilterValues } from './filters';

/** Roles an event's author can have (protocol STAFF_ROLES); the filter matches the role exactly. */
const ROLES = ['coordinator', 'therapist', 'physician', 'auditor', 'integration', 'admin', 'system'];

type Props = {
  fields: FilterField[];
  /** The values in the URL now; the form starts from them (the page remounts it when they change). */
  values: FilterValues;
  onSubmit: (values: FilterValues) => void;
  submitLabel: string;
  /** Extra inputs drawn before the filters (the export's format). */
  children?: ReactNode;
  busy?: boolean;
};

/** A labelled filter form drawn from field descriptions; times are entered in local time and sent in UTC. */
export const FilterForm = ({ fields, values, onSubmit, submitLabel, children, busy = false }: Props) => {
  const [inputs, setInputs] = useState<FilterValues>(() => Object.fromEntries(fields.map((f) => [f.name, toInputValue(f, values[f.name])])));
  const [errors, setErrors] = useState<Record<string, string>>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next: FilterValues = {};
    const problems: Record<string, string> = {};
    for (const f of fields) {
      const result = fromInputValue(f, inputs[f.name] ?? '');
      if ('error' in result) problems[f.name] = result.error;
      else if (result.value !== '') next[f.name] = result.value;
    }
    setErrors(problems);
    if (Object.keys(problems).length === 0) onSubmit(next);
  };

  const clear = () => {
    setInputs(Object.fromEntries(fields.map((f) => [f.name, ''])));
    setErrors({});
    onSubmit({});
  };

  return (
    <form onSubmit={submit} noValidate>
      {children}
      <fieldset className="audit-filters">
        <legend>Filters (all optional, combined)</legend>
        {fields.map((f) => (
          <FilterInput key={f.name} field={f} value={inputs[f.name] ?? ''} error={errors[f.name]} onChange={(v) => setInputs((s) => ({ ...s, [f.name]: v }))} />
        ))}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" className="secondary" onClick={clear} disabled={busy}>
          Clear the filters
        </button>
      </div>
    </form>
  );
};

type InputProps = { field: FilterField; value: string; error: string | undefined; onChange: (value: string) => void };

const FilterInput = ({ field, value, error, onChange }: InputProps) => {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [field.hint || field.kind === 'time' ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  const common = { id, value, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined } as const;
  return (
    <div className="field">
      <label htmlFor={id}>{field.label}</label>
      <Control field={field} common={common} onChange={onChange} />
      {field.hint || field.kind === 'time' ? (
        <p id={hintId} className="hint">
          {field.hint}
          {field.kind === 'time' ? <UtcEcho value={value} /> : null}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
};

type Common = { id: string; value: string; 'aria-describedby': string | undefined; 'aria-invalid': true | undefined };

/** A select's options, plus the current value when it is none of them (a shared link from someone else). */
const withCurrent = (options: { value: string; label: string }[], current: string, unknownLabel: string) =>
  current && !options.some((o) => o.value === current) ? [...options, { value: current, label: `${current} (${unknownLabel})` }] : options;

const optionsOf = (field: FilterField, sites: string[]): { value: string; label: string }[] | null => {
  switch (field.kind) {
    case 'site':
      return [{ value: '', label: field.anySite ? 'All my sites' : `My first site (${sites[0] ?? 'none'})` }, ...sites.map((s) => ({ value: s, label: s }))];
    case 'role':
      return [{ value: '', label: 'Any role' }, ...ROLES.map((r) => ({ value: r, label: roleLabel(r) }))];
    case 'limit':
      return PAGE_SIZES.map((n) => ({ value: n, label: n === DEFAULT_PAGE_SIZE ? `${n} (standard)` : n }));
    default:
      return null;
  }
};

const Control = ({ field, common, onChange }: { field: FilterField; common: Common; onChange: (value: string) => void }) => {
  const { identity } = useSession();
  const options = optionsOf(field, identity?.sites ?? []);
  if (options) {
    // The page size has no empty choice: empty in the URL means the standard size.
    const value = field.kind === 'limit' ? common.value || DEFAULT_PAGE_SIZE : common.value;
    return (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        {withCurrent(options, value, field.kind === 'site' ? 'not one of your sites' : 'not in the list').map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  }
  if (field.kind === 'time') return <input type="datetime-local" {...common} onChange={(e) => onChange(e.target.value)} />;
  return <input type="text" {...common} maxLength={field.maxLength} autoComplete="off" spellCheck={false} onChange={(e) => onChange(e.target.value)} />;
};

/** The UTC time a local time input stands for, so the auditor sees what is sent. */
const UtcEcho = ({ value }: { value: string }) => {
  const result = value ? fromInputValue({ name: '', label: '', kind: 'time' }, value) : null;
  if (!result || !('value' in result)) return null;
  return <> That is {formatUtc(result.value)}.</>;
};
