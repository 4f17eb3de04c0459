import type { ReactNode } from 'react';
import { NavLink } from 'react-router-dom';
import { useSession } from '../auth/session';
import { navigationOf, ROLE_LABELS } from './navigation';

export const Layout = ({ children }: { children: ReactNode }) => {
  const { identity, signOut } = useSession();
  if (!identity) return null;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Course of care</span>
        <nav aria-label="Main">
          <ul>
            {navigationOf(identity.role).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to}>{item.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who" data-testid="signed-in-as">
          <span>
            {identity.name} · {ROLE_LABELS[identity.role] ?? identity.role} · {identity.sites.join(', ')}
          </span>
          <button type="button" className="link-button" onClick={() => signOut('You signed out.')}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
};
