import { useMutation } from '@tanstack/react-query';
import { useSession } from '../auth/session';
import { ErrorNotice, Notice } from '../ui/feedback';
import { checkCheckpoint, checkInclusion, readNote, type Check } from './proof';
import type { InclusionProof } from './types';

type Checked = { proof: InclusionProof; inclusion: Check; checkpoint: Check };

const CHECK_TEXT: Record<Check, string> = {
  passed: 'passed',
  failed: 'FAILED',
  unavailable: 'could not run in this browser (it needs a secure connection and Ed25519 support)',
};

/** On request only (each proof is recorded in the access log): the entry's inclusion proof, re-checked here. */
export const ProofSection = ({ eventId }: { eventId: string }) => {
  const { api } = useSession();
  const run = useMutation<Checked>({
    mutationFn: async () => {
      const proof = (await api<InclusionProof>(`/audit/events/${encodeURIComponent(eventId)}/proof`)).body;
      const [inclusion, checkpoint] = await Promise.all([checkInclusion(proof), checkCheckpoint(proof)]);
      return { proof, inclusion, checkpoint };
    },
  });
  return (
    <section aria-labelledby="proof-heading">
      <h2 id="proof-heading">Proof that the signed ledger holds this entry</h2>
      <p>The service proves that this entry is part of its latest signed checkpoint; the console re-checks the proof itself.</p>
      <button type="button" className="secondary" onClick={() => run.mutate()} disabled={run.isPending}>
        {run.isPending ? 'Checking…' : 'Check the proof'}
      </button>
      <ErrorNotice error={run.error} title="No proof could be given." />
      {run.data ? <ProofResult {...run.data} /> : null}
    </section>
  );
};

const ProofResult = ({ proof, inclusion, checkpoint }: Checked) => {
  const note = readNote(proof.checkpoint.signedNote);
  const good = inclusion === 'passed' && checkpoint === 'passed';
  const bad = inclusion === 'failed' || checkpoint === 'failed';
  return (
    <div data-testid="proof-result">
      <Notice kind={bad ? 'warning' : good ? 'success' : 'info'}>
        {bad
          ? 'The proof does not hold: the ledger cannot show that this entry is the one it signed.'
          : good
            ? `Included: this entry is leaf ${proof.leafIndex} of the ${proof.treeSize} entries of the signed checkpoint.`
            : 'The service gave a proof, but this browser could not re-check all of it.'}
      </Notice>
      <dl className="summary">
        <dt>Path from the entry to the root</dt>
        <dd>{CHECK_TEXT[inclusion]}</dd>
        <dt>Checkpoint signature</dt>
        <dd>{CHECK_TEXT[checkpoint]}</dd>
        <dt>Leaf</dt>
        <dd>
          {proof.leafIndex} (hash <code className="audit-hash">{proof.leafHash}</code>)
        </dd>
        <dt>Checkpoint</dt>
        <dd>
          {proof.treeSize} entries, root <code className="audit-hash">{proof.rootHash}</code>
          {note ? `, signed for ${note.origin} at ${note.timestamp}` : ''}
        </dd>
        <dt>Signing key id</dt>
        <dd>
          <code>{proof.checkpoint.keyId}</code> <span className="muted small">(compare it with the key id your organisation gave you: the key comes from the service itself)</span>
        </dd>
      </dl>
      <details>
        <summary>The signed checkpoint and the audit path</summary>
        <h3>Signed note</h3>
        <pre className="json">{proof.checkpoint.signedNote}</pre>
        <h3>Signature (Ed25519, base64)</h3>
        <pre className="json">{proof.checkpoint.signature}</pre>
        <h3>Public key</h3>
        <pre className="json">{proof.checkpoint.publicKey}</pre>
        <h3>Audit path ({proof.auditPath.length} hashes, nearest first)</h3>
        <pre className="json">{proof.auditPath.join('\n')}</pre>
      </details>
    </div>
  );
};
