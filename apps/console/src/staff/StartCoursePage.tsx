import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { newIdempotencyKey } from '../api/http';
import { useSession } from '../auth/session';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { useProtocols } from './protocol-hooks';

/** Start a course: the patient's pseudonymous reference and the protocol (its newest version). */
export const StartCoursePage = () => {
  const { api, identity } = useSession();
  const navigate = useNavigate();
  const protocols = useProtocols();
  const [patientRef, setPatientRef] = useState('');
  const [protocolId, setProtocolId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Kept while the values stay the same, so pressing twice starts one course.
  const [key, setKey] = useState(newIdempotencyKey);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api<{ courseId: string }>('/courses', {
        method: 'POST',
        body: { patientRef: patientRef.trim(), siteId: identity!.siteId, protocolId: protocolId || protocols.data!.protocols[0]!.id },
        headers: { 'Idempotency-Key': key },
      });
      void navigate(`/courses/${encodeURIComponent(answer.body.courseId)}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="narrow-block">
      <PageTitle title="Start a course">Start a course of care</PageTitle>
      {protocols.isPending ? <Loading what="the protocols" /> : null}
      <ErrorNotice error={protocols.error} />
      {protocols.data ? (
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor="start-patient">Patient reference</label>
            <input
              id="start-patient"
              required
              maxLength={64}
              pattern="[A-Za-z0-9][A-Za-z0-9._:\-]*"
              value={patientRef}
              onChange={(e) => {
                setPatientRef(e.target.value);
                setKey(newIdempotencyKey());
              }}
              aria-describedby="start-patient-hint"
            />
            <p id="start-patient-hint" className="hint">
              The pseudonymous reference of the patient (for example P-2026-0042): never a name or a record number.
            </p>
          </div>
          <div className="field">
            <label htmlFor="start-protocol">Protocol</label>
            <select
              id="start-protocol"
              value={protocolId || protocols.data.protocols[0]?.id}
              onChange={(e) => {
                setProtocolId(e.target.value);
                setKey(newIdempotencyKey());
              }}
            >
              {protocols.data.protocols.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.title} (version {p.latestVersion})
                </option>
              ))}
            </select>
          </div>
          <p className="muted">Site: {identity?.siteId}. The course starts now.</p>
          <ErrorNotice error={error} refusedTitle="The course was not started:" />
          <button type="submit" disabled={busy}>
            {busy ? 'Starting…' : 'Start the course'}
          </button>
        </form>
      ) : null}
    </div>
  );
};
