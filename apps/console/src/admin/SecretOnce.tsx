import { useEffect, useId, useRef, useState } from 'react';
import { formatTime } from '../ui/time';

type Props = {
  /** Whose secret, e.g. 'the source "Acme e-Consent"'. */
  owner: string;
  secret: string;
  /** After a rotation: until when the replaced secret still works. */
  previousValidUntil?: string | null;
  onDone: () => void;
};

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * A secret as the API returns it: once, when created or rotated. It lives only in this box's state
 * (never in the query cache); "I have stored it" forgets it.
 */
export const SecretOnce = ({ owner, secret, previousValidUntil, onDone }: Props) => {
  const [copy, setCopy] = useState<CopyState>('idle');
  const boxRef = useRef<HTMLDivElement>(null);
  const valueId = useId();

  // Focus the box so keyboard and screen-reader users land on it, not on the form they just sent.
  useEffect(() => boxRef.current?.focus(), [secret]);

  const copySecret = () => {
    if (!navigator.clipboard) return setCopy('failed');
    navigator.clipboard.writeText(secret).then(
      () => setCopy('copied'),
      () => setCopy('failed'),
    );
  };

  return (
    <div className="notice notice-warning" data-testid="secret-once" role="region" aria-label={`New secret for ${owner}`} tabIndex={-1} ref={boxRef}>
      <p>
        <strong>New secret for {owner}. Copy it now and store it safely: it will not be shown again.</strong>
      </p>
      <div className="field">
        <label htmlFor={valueId}>Secret</label>
        <input id={valueId} data-testid="secret-value" type="text" readOnly value={secret} spellCheck={false} autoComplete="off" onFocus={(e) => e.target.select()} />
      </div>
      {previousValidUntil ? <p>The previous secret keeps working until {formatTime(previousValidUntil)}. Give the new one to the other system before then.</p> : null}
      <div className="actions">
        <button type="button" onClick={copySecret}>
          Copy secret
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          I have stored it, hide it
        </button>
      </div>
      <p role="status" className="small">
        {copy === 'copied' ? 'Copied to the clipboard.' : copy === 'failed' ? 'The browser did not allow copying: select the secret in the box and copy it yourself.' : ''}
      </p>
    </div>
  );
};
