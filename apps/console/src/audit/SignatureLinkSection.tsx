import { useMutation } from '@tanstack/react-query';
import type { SignatureCheck, SignatureCheckItem } from '@care/contracts';
import { useSession } from '../auth/session';
import { ErrorNotice, Notice } from '../ui/feedback';
import type { Check } from './proof';
import { checkRecordHash } from './signature-link';
import type { AuditEntry } from './types';

type Checked = { item: SignatureCheckItem | null; inBrowser: Check | 'spans-entries' | 'fields-not-named' };

const RESULT_TEXT: Record<SignatureCheckItem['result'], string> = {
  matches: 'The signature covers this record: the hash of the record as stored is the hash that was signed.',
  differs: 'The record as stored is NOT the record that was signed: its hash differs from the one in the signature.',
  no_record_hash: 'This signature was made before record hashes were kept: there is nothing to compare the record with.',
};

const IN_BROWSER_TEXT: Record<Checked['inBrowser'], string> = {
  passed: 'passed',
  failed: 'FAILED',
  unavailable: 'could not run in this browser (it needs a secure connection)',
  'spans-entries': 'not run here: the step signed several entries at once, which the service puts together',
  'fields-not-named': 'not run here: the signature was made before the fields signed were recorded with it',
};

/**
 * On request only (the check reads the course, which the access log records): whether the entry's
 * signature covers the record as stored (21 CFR 11.70), by the service and, for a one-entry step, re-done here.
 */
export const SignatureLinkSection = ({ entry }: { entry: AuditEntry }) => {
  const { api } = useSession();
  const courseId = entry.courseId;
  const run = useMutation<Checked>({
    mutationFn: async () => {
      const check = (await api<SignatureCheck>(`/courses/${encodeURIComponent(courseId ?? '')}/signatures`)).body;
      const item = check.signatures.find((s) => s.streamVersions.includes(entry.streamVersion)) ?? null;
      if (!item) return { item, inBrowser: 'failed' };
      const inBrowser =
        item.eventIds.length > 1 ? 'spans-entries' : item.signedFields === null ? 'fields-not-named' : await checkRecordHash(entry.what.data, item.signedFields, item.recordHash);
      return { item, inBrowser };
    },
  });
  // Who may read the course is the API's rule (course:read): a role without it gets the API's refusal here.
  if (!courseId) return null;
  return (
    <section aria-labelledby="signature-link-heading">
      <h3 id="signature-link-heading">Does the signature cover this record?</h3>
      <button type="button" className="secondary" onClick={() => run.mutate()} disabled={run.isPending}>
        {run.isPending ? 'Checking…' : 'Check the signature against the record'}
      </button>
      <ErrorNotice error={run.error} title="The signature could not be checked." />
      {run.data ? <LinkResult {...run.data} /> : null}
    </section>
  );
};

const LinkResult = ({ item, inBrowser }: Checked) => {
  if (!item) return <Notice kind="warning">The service lists no signature for this entry.</Notice>;
  const good = item.result === 'matches' && inBrowser !== 'failed';
  return (
    <div data-testid="signature-link-result">
      <Notice kind={good ? 'success' : item.result === 'no_record_hash' ? 'info' : 'warning'}>{RESULT_TEXT[item.result]}</Notice>
      <dl className="summary">
        <dt>Hash in the signature</dt>
        <dd>{item.recordHash ? <code className="audit-hash">{item.recordHash}</code> : '—'}</dd>
        <dt>Hash of the record as stored</dt>
        <dd>
          <code className="audit-hash">{item.recomputedHash}</code>
        </dd>
        <dt>Re-checked in this browser</dt>
        <dd data-testid="signature-link-browser">{IN_BROWSER_TEXT[inBrowser]}</dd>
        {item.voidedByVersion !== null ? (
          <>
            <dt>Voided</dt>
            <dd>by the correction at version {item.voidedByVersion} of the course</dd>
          </>
        ) : null}
      </dl>
    </div>
  );
};
