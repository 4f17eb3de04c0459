import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiProblem, request, type Answer, type RequestOptions } from '../api/http';
import { identityOf, type Identity } from './token';

export type SignInOptions =
  | { mode: 'local'; roles: string[]; signatureMaxAuthAgeMinutes: number }
  | { mode: 'oidc'; oidc: { authority: string; clientId: string; scope: string }; signatureMaxAuthAgeMinutes: number }
  | { mode: 'none'; signatureMaxAuthAgeMinutes: number };

export type LocalSignInInput = { name: string; role: string; site: string };

type Session = {
  options: SignInOptions | null;
  optionsError: ApiProblem | null;
  token: string | null;
  identity: Identity | null;
  /** Why the last session ended, shown on the sign-in page. */
  endedBecause: string | null;
  signInLocal: (input: LocalSignInInput) => Promise<void>;
  /** OIDC: leaves the page for the provider; `fresh` asks the person to authenticate again (max_age=0, prompt=login). */
  signInWithProvider: (returnTo: string, fresh?: boolean) => Promise<void>;
  completeProviderSignIn: () => Promise<string>;
  signOut: (reason?: string) => void;
  /** Calls the API as the signed-in person; a 401 ends the session. */
  api: <T>(path: string, options?: RequestOptions) => Promise<Answer<T>>;
};

const SessionContext = createContext<Session | null>(null);
const STORAGE_KEY = 'care.session';
const callbackPath = '/console/signed-in';

// The token lives in this tab's sessionStorage only: closing the tab signs out, nothing lands on disk.
const stored = (): { token: string; local?: LocalSignInInput } | null => {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as { token: string; local?: LocalSignInInput }) : null;
  } catch {
    return null;
  }
};

const userManager = async (options: Extract<SignInOptions, { mode: 'oidc' }>) => {
  // Loaded only when a provider is configured, so the embedded default's bundle does not carry it.
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  return new UserManager({
    authority: options.oidc.authority,
    client_id: options.oidc.clientId,
    redirect_uri: `${location.origin}${callbackPath}`,
    post_logout_redirect_uri: `${location.origin}/console/`,
    response_type: 'code',
    scope: options.oidc.scope,
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
    automaticSilentRenew: false,
  });
};

export const SessionProvider = ({ children }: { children: ReactNode }) => {
  const [options, setOptions] = useState<SignInOptions | null>(null);
  const [optionsError, setOptionsError] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState(stored);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);

  useEffect(() => {
    request<SignInOptions>(null, '/auth/sign-in-options')
      .then((a) => setOptions(a.body))
      .catch((e: unknown) => setOptionsError(e instanceof ApiProblem ? e : new ApiProblem(0, { statusCode: 0, code: 'NETWORK', message: 'The service could not be reached.' })));
  }, []);

  const keep = useCallback((value: { token: string; local?: LocalSignInInput } | null) => {
    if (value) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(STORAGE_KEY);
    setSaved(value);
  }, []);

  const identity = useMemo(() => (saved ? identityOf(saved.token) : null), [saved]);
  const token = identity && identity.expiresAt > Date.now() ? saved!.token : null;

  const signOut = useCallback(
    (reason?: string) => {
      keep(null);
      setEndedBecause(reason ?? null);
    },
    [keep],
  );

  const signInLocal = useCallback(
    async (input: LocalSignInInput) => {
      const answer = await request<{ token: string }>(null, '/auth/local-sign-in', { method: 'POST', body: input });
      keep({ token: answer.body.token, local: input });
      setEndedBecause(null);
    },
    [keep],
  );

  const signInWithProvider = useCallback(
    async (returnTo: string, fresh = false) => {
      if (options?.mode !== 'oidc') throw new Error('no identity provider is configured');
      const manager = await userManager(options);
      await manager.signinRedirect({ state: { returnTo }, ...(fresh ? { prompt: 'login', max_age: 0 } : {}) });
    },
    [options],
  );

  const completeProviderSignIn = useCallback(async () => {
    if (options?.mode !== 'oidc') throw new Error('no identity provider is configured');
    const manager = await userManager(options);
    const user = await manager.signinRedirectCallback();
    keep({ token: user.access_token });
    setEndedBecause(null);
    const returnTo = (user.state as { returnTo?: string } | undefined)?.returnTo;
    return returnTo && returnTo.startsWith('/') ? returnTo : '/';
  }, [options, keep]);

  const api = useCallback(
    async <T,>(path: string, opts: RequestOptions = {}) => {
      try {
        return await request<T>(token, path, opts);
      } catch (error) {
        // A signature's freshness check is also a 401, but the session itself is still valid.
        if (error instanceof ApiProblem && error.status === 401 && error.code !== 'SIGNATURE_REAUTH_REQUIRED') signOut('Your sign-in has ended. Please sign in again.');
        throw error;
      }
    },
    [token, signOut],
  );

  const value: Session = { options, optionsError, token, identity: token ? identity : null, endedBecause, signInLocal, signInWithProvider, completeProviderSignIn, signOut, api };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
};

export const useSession = (): Session => {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
};

/** The local sign-in's identity of this tab (to sign in again as the same person before signing). */
export const localIdentity = (): LocalSignInInput | null => stored()?.local ?? null;
