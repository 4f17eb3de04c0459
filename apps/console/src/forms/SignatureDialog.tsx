import { useEffect, useRef, useState } from 'react';
import type { Identity } from '../auth/token';
import { formatTime } from '../ui/time';

/** What each meaning commits the signer to, in plain words (21 CFR 11.50(a)(3)). */
export const MEANING_TEXT: Record<string, string> = {
  approval: 'Approval: you approve this record.',
  review: 'Review: you have reviewed this record.',
  responsibility: 'Responsibility: you take responsibility for this step.',
  authorship: 'Authorship: you are the author of this record.',
};

export type SignatureDialogProps = {
  open: boolean;
  identity: Identity;
  meaning: string;
  stepTitle: string;
  lines: { label: string; value: string }[];
  busy: boolean;
  /** Set when the API asked for a fresh sign-in before this signature (SIGNATURE_REAUTH_REQUIRED). */
  reauth: { mode: 'local' | 'oidc'; maxAgeMinutes: number } | null;
  onSign: () => void;
  onReauthenticate: (confirmName: string) => void;
  onCancel: () => void;
  children?: React.ReactNode;
};

/**
 * The e-signature dialog: before anything is sent, the signer sees their printed name, the date and
 * time, the meaning of the signature and what is being signed (21 CFR 11.50). A stale sign-in leads to
 * a fresh one; the form's values are kept.
 */
export const SignatureDialog = (props: SignatureDialogProps) => {
  const ref = useRef<HTMLDialogElement>(null);
  const [now, setNow] = useState(() => new Date());
  const [confirmName, setConfirmName] = useState('');
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  useEffect(() => {
    if (!props.open) return;
    const timer = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(timer);
  }, [props.open]);

  return (
    <dialog ref={ref} aria-labelledby="signature-title" onCancel={(e) => (e.preventDefault(), props.onCancel())} data-testid="signature-dialog">
      <h2 id="signature-title">Sign: {props.stepTitle}</h2>
      {props.reauth ? (
        <div>
          <p role="alert" className="notice notice-warning">
            To sign, you must have signed in within the last {props.reauth.maxAgeMinutes} minutes. Sign in again; your entries are kept.
          </p>
          {props.reauth.mode === 'local' ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                props.onReauthenticate(confirmName);
              }}
            >
              <div className="field">
                <label htmlFor="reauth-name">Type your name to sign in again as {props.identity.name}</label>
                <input id="reauth-name" autoComplete="off" required value={confirmName} onChange={(e) => setConfirmName(e.target.value)} />
              </div>
              <div className="actions">
                <button type="submit" disabled={props.busy}>Sign in again</button>
                <button type="button" className="secondary" onClick={props.onCancel}>Cancel</button>
              </div>
            </form>
          ) : (
            <div className="actions">
              <button type="button" onClick={() => props.onReauthenticate('')}>Sign in again with your organisation</button>
              <button type="button" className="secondary" onClick={props.onCancel}>Cancel</button>
            </div>
          )}
        </div>
      ) : (
        <>
          <dl className="summary" data-testid="signature-preview">
            <dt>Signed by</dt>
            <dd>{props.identity.name}</dd>
            <dt>Date and time</dt>
            <dd>{formatTime(now.toISOString())}</dd>
            <dt>Meaning</dt>
            <dd>{MEANING_TEXT[props.meaning] ?? props.meaning}</dd>
          </dl>
          <h3>What you are signing</h3>
          {props.lines.length ? (
            <dl className="summary">
              {props.lines.map((l) => (
                <div key={l.label} className="contents">
                  <dt>{l.label}</dt>
                  <dd>{l.value}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p>{props.stepTitle}, with no further values.</p>
          )}
          <p className="small">
            Your electronic signature is the legally binding equivalent of your handwritten signature. It is recorded with your name, this time and this meaning, and
            linked to exactly these values.
          </p>
          {props.children}
          <div className="actions">
            <button type="button" onClick={props.onSign} disabled={props.busy}>
              {props.busy ? 'Signing…' : 'Sign and record'}
            </button>
            <button type="button" className="secondary" onClick={props.onCancel} disabled={props.busy}>
              Cancel
            </button>
          </div>
        </>
      )}
    </dialog>
  );
};
