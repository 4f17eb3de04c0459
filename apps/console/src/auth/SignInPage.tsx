import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { homeOf, ROLE_LABELS } from '../app/navigation';
import { ErrorNotice, Loading, Notice, PageTitle } from '../ui/feedback';
import { useSession } from './session';

const safeReturn = (value: string | null): string | null => (value && value.startsWith('/') && !value.startsWith('//') ? value : null);

/**
 * Sign-in. With an identity provider: a button that goes to it (authorization code + PKCE). In the
 * embedded default: a local sign-in (name, role, site) answered by the API with a development token.
 */
export const SignInPage = () => {
  const { options, optionsError, signInLocal, signInWithProvider, endedBecause } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const returnTo = safeReturn(params.get('returnTo'));
  const [name, setName] = useState('');
  const [role, setRole] = useState('coordinator');
  const [site, setSite] = useState('site-a');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (optionsError) return <main id="main" className="narrow"><ErrorNotice error={optionsError} title="The console cannot reach the service." /></main>;
  if (!options) return <main id="main" className="narrow"><Loading what="sign-in" /></main>;

  const submitLocal = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signInLocal({ name, role, site });
      void navigate(returnTo ?? homeOf(role), { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="narrow">
      <PageTitle title="Sign in">Sign in</PageTitle>
      {endedBecause ? <Notice kind="warning">{endedBecause}</Notice> : null}
      {options.mode === 'oidc' ? (
        <>
          <p>You sign in with your organisation's account.</p>
          <button type="button" onClick={() => void signInWithProvider(returnTo ?? '/').catch(setError)}>
            Sign in with your organisation
          </button>
        </>
      ) : options.mode === 'local' ? (
        <form onSubmit={submitLocal} aria-describedby="local-note">
          <p id="local-note" className="notice notice-warning">
            Local sign-in of the embedded default: anyone who can reach this service may sign in as anyone. Production signs in with the clinic's identity provider.
          </p>
          <div className="field">
            <label htmlFor="signin-name">Your name, as printed on your signatures</label>
            <input id="signin-name" autoComplete="name" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="signin-role">Role</label>
            <select id="signin-role" value={role} onChange={(e) => setRole(e.target.value)}>
              {options.roles.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r] ?? r}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="signin-site">Site</label>
            <input id="signin-site" required maxLength={400} value={site} onChange={(e) => setSite(e.target.value)} aria-describedby="signin-site-hint" />
            <p id="signin-site-hint" className="hint">
              The site you work for. Auditors may list several, separated by commas.
            </p>
          </div>
          <ErrorNotice error={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      ) : (
        <Notice kind="warning">This service has no sign-in for people configured. Ask your administrator to set the OIDC provider (OIDC_AUTHORITY, OIDC_CLIENT_ID).</Notice>
      )}
    </main>
  );
};
