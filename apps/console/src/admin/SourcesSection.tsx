import { useState, type FormEvent } from 'react';
import { useApiGet } from '../api/queries';
import { useSession } from '../auth/session';
import { ErrorNotice, Loading, Notice } from '../ui/feedback';
import { formatTime } from '../ui/time';
import { SecretsSummary } from './badges';
import { ConfirmAction } from './ConfirmAction';
import { SiteField, useEventTypes } from './fields';
import { API } from './paths';
import { SecretOnce } from './SecretOnce';
import type { CreatedSource, RotatedSecret, Source, SourceList } from './types';
import { useApiCommand } from './useApiCommand';

/** Where a source posts its webhooks: the API's own origin (the console is served by it). */
const inboundUrlOf = (sourceId: string) => `${location.origin}/webhooks/${sourceId}`;

export const SourcesSection = () => (
  <section aria-labelledby="sources-heading">
    <h2 id="sources-heading">Inbound sources</h2>
    <p>
      Systems that send webhooks to this service, such as an e-consent tool or a scheduling system. Each source signs its webhooks with its own secret; the audit trail shows its name
      for what it records.
    </p>
    <SourceList />
    <CreateSourceForm />
    <InboundTypes />
  </section>
);

const SourceList = () => {
  const sources = useApiGet<SourceList>(API.sources);
  const rotate = useApiCommand<RotatedSecret>('POST', [API.sources]);
  const rotatedName = sources.data?.sources.find((s) => s.sourceId === rotate.data?.sourceId)?.name;
  return (
    <>
      <h3>Registered sources</h3>
      <ErrorNotice error={rotate.error} refusedTitle="The secret was not replaced." />
      {rotate.data ? (
        <SecretOnce owner={`the source "${rotatedName ?? rotate.data.sourceId}"`} secret={rotate.data.secret} previousValidUntil={rotate.data.previousSecretValidUntil} onDone={rotate.reset} />
      ) : null}
      {sources.isPending ? <Loading what="the sources" /> : null}
      <ErrorNotice error={sources.error} title="The sources could not be loaded." />
      {sources.data?.sources.length === 0 ? <p>No source is registered yet.</p> : null}
      {sources.data?.sources.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Site</th>
              <th scope="col">Sends webhooks to</th>
              <th scope="col">Secret</th>
              <th scope="col">Registered</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {sources.data.sources.map((source) => (
              <SourceRow key={source.sourceId} source={source} busy={rotate.isPending} onRotate={() => rotate.mutate({ path: API.rotateSource(source.sourceId) })} />
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
};

const SourceRow = ({ source, busy, onRotate }: { source: Source; busy: boolean; onRotate: () => void }) => (
  <tr data-testid="source-row">
    <td>{source.name}</td>
    <td>{source.siteId}</td>
    <td>
      <code>{inboundUrlOf(source.sourceId)}</code>
    </td>
    <td>
      <SecretsSummary secrets={source.secrets} />
    </td>
    <td>
      {formatTime(source.createdAt)}
      <br />
      <span className="small">by {source.createdBy}</span>
    </td>
    <td>
      <ConfirmAction
        label="Replace secret"
        question={`A new secret for "${source.name}". The current one keeps working for 24 hours: give the new one to the source within that time.`}
        confirmLabel="Yes, make a new secret"
        disabled={busy}
        onConfirm={onRotate}
      />
    </td>
  </tr>
);

const CreateSourceForm = () => {
  const { identity } = useSession();
  const [name, setName] = useState('');
  const [siteId, setSiteId] = useState(identity?.siteId ?? '');
  const create = useApiCommand<CreatedSource, { name: string; siteId: string }>('POST', [API.sources]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ path: API.sources, body: { name: name.trim(), siteId } }, { onSuccess: () => setName('') });
  };

  return (
    <>
      <h3>Register a source</h3>
      {create.data ? (
        <>
          <Notice kind="success">
            The source "{create.data.name}" is registered. It sends its webhooks to <code>{`${location.origin}${create.data.inboundUrl}`}</code>.
          </Notice>
          <SecretOnce owner={`the source "${create.data.name}"`} secret={create.data.secret} onDone={create.reset} />
        </>
      ) : null}
      <ErrorNotice error={create.error} refusedTitle="The source was not registered." />
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="source-name">Name</label>
          <input id="source-name" type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} aria-describedby="source-name-hint" autoComplete="off" />
          <p className="hint" id="source-name-hint">
            The name the audit trail shows for what this system records, e.g. "Acme e-Consent". Up to 100 characters.
          </p>
        </div>
        <SiteField value={siteId} onChange={setSiteId} />
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Registering…' : 'Register source'}
        </button>
      </form>
    </>
  );
};

/** What a source may send, from the published catalogue. */
const InboundTypes = () => {
  const catalogue = useEventTypes();
  if (!catalogue.data) return null;
  return (
    <details>
      <summary>Event types a source may send</summary>
      <ul>
        {catalogue.data.inbound.map((t) => (
          <li key={t.type}>
            <code>{t.type}</code>: {t.description}
          </li>
        ))}
      </ul>
    </details>
  );
};
