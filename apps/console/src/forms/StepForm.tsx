import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiProblem, newIdempotencyKey } from '../api/http';
import type { CommandAnswer, ProtocolVersion, Step } from '../api/types';
import { localIdentity, useSession } from '../auth/session';
import { ErrorNotice, Notice } from '../ui/feedback';
import { fromLocalInput, relativeTo, toLocalInput } from '../ui/time';
import type { CommandSchema } from './command-schemas';
import { dataFromForm, describeData, planForm, stepKeyOf, type FormValues } from './fields';
import { FieldInput } from './FieldInput';
import { SignatureDialog } from './SignatureDialog';

type Draft = { values: FormValues; when: 'now' | 'earlier'; at: string; lateReason: string; signing: boolean };
const draftKey = (courseId: string, step: Step) => `care.draft.${courseId}.${stepKeyOf(step)}`;

/** The step whose values were kept for a sign-in at the identity provider, if any: its form opens on return. */
export const keptDraftStep = (courseId: string): string | null => {
  const prefix = `care.draft.${courseId}.`;
  for (let i = 0; i < sessionStorage.length; i++) {
    const key = sessionStorage.key(i);
    if (key?.startsWith(prefix)) return key.slice(prefix.length);
  }
  return null;
};

const readDraft = (key: string): Draft | null => {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Draft) : null;
  } catch {
    return null;
  }
};

/**
 * The form of one available step, generated from its command's schema. The clinical time defaults to
 * "now"; an earlier time more than the protocol's late-entry threshold ago asks for the reason. A step
 * the protocol signs opens the signature dialog before anything is sent. A refusal is shown in the
 * protocol's own words next to the form, and the values stay.
 */
export const StepForm = ({ courseId, step, schema, protocol, onDone }: { courseId: string; step: Step; schema: CommandSchema; protocol: ProtocolVersion; onDone: (message: string) => void }) => {
  const { api, identity, options, signInLocal, signInWithProvider } = useSession();
  const plan = useMemo(() => planForm(step.command, schema.data, step, protocol), [step, schema, protocol]);
  const key = draftKey(courseId, step);
  const restored = useRef(readDraft(key));
  const [values, setValues] = useState<FormValues>(restored.current?.values ?? {});
  const [when, setWhen] = useState<'now' | 'earlier'>(restored.current?.when ?? 'now');
  const [at, setAt] = useState(restored.current?.at ?? toLocalInput(new Date()));
  const [lateReason, setLateReason] = useState(restored.current?.lateReason ?? '');
  const [signing, setSigning] = useState(restored.current?.signing ?? false);
  const [reauth, setReauth] = useState<{ mode: 'local' | 'oidc'; maxAgeMinutes: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState<string | null>(null);
  // One key per distinct submission: resending the same values is the same command, executed at most once.
  const idempotency = useRef<{ body: string; key: string } | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const idPrefix = `step-${stepKeyOf(step).replace(/[^A-Za-z0-9]+/g, '-')}`;

  useEffect(() => {
    if (restored.current) sessionStorage.removeItem(key);
  }, [key]);

  const clinicalIso = when === 'earlier' ? fromLocalInput(at) : null;
  const minutesAgo = clinicalIso ? (Date.now() - new Date(clinicalIso).getTime()) / 60000 : 0;
  const needsLateReason = plan.lateEntry && plan.clinicalTime !== null && minutesAgo > protocol.lateEntryAfterMinutes;
  const fieldErrors = new Map((error instanceof ApiProblem ? error.body.errors ?? [] : []).map((e) => [e.field.replace(/^data\./, ''), e.message]));

  const commandData = (): Record<string, unknown> => {
    const data = dataFromForm(plan, values);
    if (plan.clinicalTime) {
      if (clinicalIso) data[plan.clinicalTime.field] = clinicalIso;
      // A required clinical time (consent, onset) given as "now" is the time of sending.
      else if (plan.clinicalTime.required) data[plan.clinicalTime.field] = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    if (needsLateReason && lateReason.trim()) data['lateEntryReason'] = lateReason.trim();
    if (step.signatureMeaning) data['signature'] = { meaning: step.signatureMeaning };
    return data;
  };

  const send = async () => {
    setBusy(true);
    setError(null);
    const body = { type: step.command, data: commandData() };
    const text = JSON.stringify(body);
    if (idempotency.current?.body !== text) idempotency.current = { body: text, key: newIdempotencyKey() };
    try {
      const answer = await api<CommandAnswer>(`/courses/${encodeURIComponent(courseId)}/commands`, {
        method: 'POST',
        body,
        headers: { 'Idempotency-Key': idempotency.current.key },
      });
      setSigning(false);
      if (answer.status === 202) {
        setPending('Sent. The service has not confirmed it yet (for example, the workflow worker is restarting). It will be recorded once; the course page updates when it is.');
        onDone(`${schema.title}: sent, not yet confirmed.`);
        return;
      }
      onDone(`${schema.title}: recorded.`);
    } catch (e) {
      if (e instanceof ApiProblem && e.code === 'SIGNATURE_REAUTH_REQUIRED') {
        const seconds = Number(e.body.details?.['maxAuthAgeSeconds']);
        setReauth({ mode: options?.mode === 'oidc' ? 'oidc' : 'local', maxAgeMinutes: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds / 60) : (options?.signatureMaxAuthAgeMinutes ?? 5) });
      } else {
        setSigning(false);
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (step.signatureMeaning) setSigning(true);
    else void send();
  };

  const reauthenticate = async (confirmName: string) => {
    if (reauth?.mode === 'oidc') {
      // The provider's page replaces this one: keep the values for the way back.
      sessionStorage.setItem(key, JSON.stringify({ values, when, at, lateReason, signing: true } satisfies Draft));
      await signInWithProvider(location.pathname.replace(/^\/console/, '') + location.search, true);
      return;
    }
    const local = localIdentity();
    if (!local || !identity || confirmName.trim().toLowerCase() !== identity.name.trim().toLowerCase()) {
      setError(new ApiProblem(400, { statusCode: 400, code: 'NAME_MISMATCH', message: `The name typed is not ${identity?.name ?? 'the signed-in name'}. Type it exactly to sign in again.` }));
      setReauth(null);
      setSigning(false);
      return;
    }
    setBusy(true);
    try {
      await signInLocal(local);
      setReauth(null);
    } catch (e) {
      setError(e);
      setSigning(false);
      setReauth(null);
    } finally {
      setBusy(false);
    }
  };

  const groups: string[] = [];
  for (const f of plan.fields) if (f.group && !groups.includes(f.group)) groups.push(f.group);

  return (
    <>
      <form ref={formRef} onSubmit={submit} aria-label={schema.title} className="step-form">
        {Object.keys(plan.fixed).length ? (
          <p className="muted small">
            {Object.entries(plan.fixed)
              .map(([k, v]) => `${k}: ${String(v)}`)
              .join(' · ')}
          </p>
        ) : null}
        {plan.fields
          .filter((f) => !f.group)
          .map((f) => (
            <FieldInput key={f.path} id={`${idPrefix}-${f.path}`} spec={f} value={values[f.path] ?? ''} error={fieldErrors.get(f.path)} onChange={(v) => setValues((old) => ({ ...old, [f.path]: v }))} />
          ))}
        {groups.map((group) => (
          <fieldset key={group} className="criterion">
            <legend>{group}</legend>
            {plan.fields
              .filter((f) => f.group === group)
              .map((f) => (
                <FieldInput key={f.path} id={`${idPrefix}-${f.path}`} spec={f} value={values[f.path] ?? ''} error={fieldErrors.get(f.path)} onChange={(v) => setValues((old) => ({ ...old, [f.path]: v }))} />
              ))}
          </fieldset>
        ))}
        {plan.clinicalTime ? (
          <fieldset className="field">
            <legend>When did it happen?</legend>
            <label className="choice">
              <input type="radio" name={`${idPrefix}-when`} checked={when === 'now'} onChange={() => setWhen('now')} /> Now
            </label>
            <label className="choice">
              <input type="radio" name={`${idPrefix}-when`} checked={when === 'earlier'} onChange={() => setWhen('earlier')} /> Earlier
            </label>
            {when === 'earlier' ? (
              <div className="field">
                <label htmlFor={`${idPrefix}-at`}>Date and time (your local time)</label>
                <input id={`${idPrefix}-at`} type="datetime-local" required value={at} max={toLocalInput(new Date())} onChange={(e) => setAt(e.target.value)} aria-describedby={`${idPrefix}-at-hint`} />
                <p id={`${idPrefix}-at-hint`} className="hint">
                  {clinicalIso ? `That is ${relativeTo(clinicalIso)}.` : 'Enter a date and time.'} Not in the future.
                </p>
                {fieldErrors.get(plan.clinicalTime.field) ? <p className="field-error">{fieldErrors.get(plan.clinicalTime.field)}</p> : null}
              </div>
            ) : null}
            {needsLateReason ? (
              <div className="field">
                <label htmlFor={`${idPrefix}-late`}>Why is this entered late?</label>
                <textarea id={`${idPrefix}-late`} required maxLength={500} value={lateReason} onChange={(e) => setLateReason(e.target.value)} aria-describedby={`${idPrefix}-late-hint`} />
                <p id={`${idPrefix}-late-hint`} className="hint">
                  More than {protocol.lateEntryAfterMinutes} minutes after it happened, the protocol asks why it is entered now.
                </p>
                {fieldErrors.get('lateEntryReason') ? <p className="field-error">{fieldErrors.get('lateEntryReason')}</p> : null}
              </div>
            ) : null}
          </fieldset>
        ) : null}
        {error ? (
          <div data-testid="step-refusal">
            <ErrorNotice error={error} refusedTitle="Not recorded:" />
          </div>
        ) : null}
        {pending ? <Notice kind="warning">{pending}</Notice> : null}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {step.signatureMeaning ? 'Review and sign…' : busy ? 'Recording…' : 'Record'}
          </button>
        </div>
      </form>
      {/* Outside the form: the dialog has a form of its own (signing in again), and forms do not nest. */}
      {identity && step.signatureMeaning ? (
        <SignatureDialog
          open={signing}
          identity={identity}
          meaning={step.signatureMeaning}
          stepTitle={schema.title}
          lines={describeData(plan, values).concat(plan.clinicalTime ? [{ label: 'When it happened', value: clinicalIso ? new Date(clinicalIso).toLocaleString() : 'Now (when you sign)' }] : [])}
          busy={busy}
          reauth={reauth}
          onSign={() => void send()}
          onReauthenticate={(name) => void reauthenticate(name)}
          onCancel={() => {
            setSigning(false);
            setReauth(null);
          }}
        />
      ) : null}
    </>
  );
};
