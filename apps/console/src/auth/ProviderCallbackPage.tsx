import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { ErrorNotice, Loading } from '../ui/feedback';
import { useSession } from './session';

/** Where the identity provider sends the browser back (authorization code + PKCE), then back to the page the person was on. */
export const ProviderCallbackPage = () => {
  const { options, completeProviderSignIn } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const done = useRef(false);
  useEffect(() => {
    if (!options || done.current) return;
    done.current = true;
    completeProviderSignIn()
      .then((returnTo) => void navigate(returnTo.replace(/^\/console/, '') || '/', { replace: true }))
      .catch(setError);
  }, [options, completeProviderSignIn, navigate]);
  return <main id="main" className="narrow">{error ? <ErrorNotice error={error} title="Sign-in did not complete." /> : <Loading what="your sign-in" />}</main>;
};
