import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

type Props = {
  /** The button that opens the question, e.g. "Redeliver". */
  label: string;
  /** What will happen, in plain words. */
  question: ReactNode;
  /** The button that does it, e.g. "Yes, send it again". */
  confirmLabel: string;
  onConfirm: () => void;
  danger?: boolean;
  disabled?: boolean;
};

/**
 * An inline confirmation: the action's button opens a short question with "do it" and "cancel" right
 * below it. Focus moves to the "do it" button, Escape cancels, and focus returns to the button.
 */
export const ConfirmAction = ({ label, question, confirmLabel, onConfirm, danger = false, disabled = false }: Props) => {
  const [asking, setAsking] = useState(false);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  const questionId = useId();

  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) triggerRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  return (
    <>
      <button ref={triggerRef} type="button" className={danger ? 'danger' : 'secondary'} aria-expanded={asking} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
      {asking ? (
        <div
          className="notice notice-warning"
          role="group"
          aria-labelledby={questionId}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setAsking(false);
          }}
        >
          <p id={questionId}>{question}</p>
          <div className="actions">
            <button
              ref={confirmRef}
              type="button"
              className={danger ? 'danger' : undefined}
              onClick={() => {
                setAsking(false);
                onConfirm();
              }}
            >
              {confirmLabel}
            </button>
            <button type="button" className="secondary" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
    </>
  );
};
