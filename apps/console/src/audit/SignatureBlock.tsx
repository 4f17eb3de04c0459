import { Moment } from './display';
import type { SignatureManifestation } from './types';

type Props = { signature: SignatureManifestation; testId: string; voided?: boolean };

/**
 * A signature as Part 11 §11.50 asks it to be shown: the signer's printed name, the date and time of
 * signing and what the signature means, with the hash of the record it covers and that record's fields
 * (the rest of the entry's data was derived by the protocol, not signed).
 */
export const SignatureBlock = ({ signature, testId, voided = false }: Props) => (
  <div className={`card ${voided ? 'notice-warning' : ''}`} data-testid={testId}>
    <p>
      {voided ? 'Was signed' : 'Signed electronically'} by <strong data-testid={`${testId}-name`}>{signature.printedName}</strong>
      {voided ? '. This signature is void from this correction on: it no longer covers what the record says.' : null}
    </p>
    <dl className="summary">
      <dt>Printed name</dt>
      <dd>{signature.printedName}</dd>
      <dt>Signer (user id)</dt>
      <dd>{signature.signerId || <span className="muted">not recorded</span>}</dd>
      <dt>Date and time</dt>
      <dd data-testid={`${testId}-time`}>
        <Moment iso={signature.signedAt} />
      </dd>
      <dt>Meaning</dt>
      <dd data-testid={`${testId}-meaning`}>{signature.meaning}</dd>
      <dt>Record hash</dt>
      <dd>{signature.recordHash ? <code className="small">{signature.recordHash}</code> : <span className="muted">not recorded (signed before record hashes were kept)</span>}</dd>
      {signature.signedFields ? (
        <>
          <dt>Fields signed</dt>
          <dd data-testid={`${testId}-fields`}>{signature.signedFields.join(', ')}</dd>
        </>
      ) : null}
    </dl>
  </div>
);
