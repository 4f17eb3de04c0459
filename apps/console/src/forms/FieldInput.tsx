import type { FieldSpec } from './fields';

const CHOICE_LABELS: Record<string, string> = { pass: 'Met (pass)', fail: 'Not met (fail)', negative: 'Negative', positive: 'Positive', not_applicable: 'Not applicable' };
const choiceLabel = (value: string): string => CHOICE_LABELS[value] ?? value.replace(/_/g, ' ');

/** One generated form field: a labelled input of the right kind, its hint and its error (by the API). */
export const FieldInput = ({ id, spec, value, error, onChange }: { id: string; spec: FieldSpec; value: string; error?: string; onChange: (value: string) => void }) => {
  const hintId = spec.hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const common = { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, required: spec.required };
  const hint = spec.hint ? <p id={hintId} className="hint">{spec.hint}</p> : null;
  const problem = error ? <p id={errorId} className="field-error">{error}</p> : null;

  if (spec.kind === 'boolean' || (spec.kind === 'enum' && (spec.options?.length ?? 0) <= 4)) {
    const options = spec.kind === 'boolean' ? [['true', 'Yes'], ['false', 'No']] : (spec.options ?? []).map((o) => [o, choiceLabel(o)]);
    return (
      <fieldset className="field" aria-describedby={describedBy} data-field={spec.path}>
        <legend>
          {spec.label}
          {spec.required ? '' : ' (optional)'}
        </legend>
        {options.map(([v, label]) => (
          <label key={v} className="choice">
            <input type="radio" name={id} value={v} checked={value === v} required={spec.required} onChange={() => onChange(v!)} /> {label}
          </label>
        ))}
        {!spec.required && value !== '' ? (
          <button type="button" className="link-button small" onClick={() => onChange('')}>
            Clear
          </button>
        ) : null}
        {hint}
        {problem}
      </fieldset>
    );
  }
  const label = (
    <label htmlFor={id}>
      {spec.label}
      {spec.required ? '' : ' (optional)'}
    </label>
  );
  let input;
  if (spec.kind === 'enum') {
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose…</option>
        {(spec.options ?? []).map((o) => (
          <option key={o} value={o}>
            {choiceLabel(o)}
          </option>
        ))}
      </select>
    );
  } else if (spec.kind === 'textarea' || spec.kind === 'json') {
    input = <textarea {...common} value={value} maxLength={spec.maxLength} onChange={(e) => onChange(e.target.value)} />;
  } else if (spec.kind === 'integer' || spec.kind === 'number') {
    input = <input {...common} type="number" inputMode="decimal" step={spec.kind === 'integer' ? 1 : 'any'} min={spec.min} max={spec.max} value={value} onChange={(e) => onChange(e.target.value)} />;
  } else if (spec.kind === 'datetime') {
    input = <input {...common} type="datetime-local" value={value} onChange={(e) => onChange(e.target.value)} />;
  } else {
    input = <input {...common} type="text" maxLength={spec.maxLength} value={value} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <div className="field" data-field={spec.path}>
      {label}
      {input}
      {hint}
      {problem}
    </div>
  );
};
