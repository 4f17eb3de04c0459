import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AdminRoutes } from '../admin/AdminRoutes';
import { AuditRoutes } from '../audit/AuditRoutes';
import { ProviderCallbackPage } from '../auth/ProviderCallbackPage';
import { SignInPage } from '../auth/SignInPage';
import { useSession } from '../auth/session';
import { CoursePage } from '../staff/CoursePage';
import { StartCoursePage } from '../staff/StartCoursePage';
import { WorklistPage } from '../staff/WorklistPage';
import { Loading } from '../ui/feedback';
import { Layout } from './Layout';
import { homeOf } from './navigation';

/** Pages that need a signed-in person; anyone else is sent to sign in and brought back afterwards. */
const SignedIn = ({ children }: { children: React.ReactNode }) => {
  const { identity, options } = useSession();
  const location = useLocation();
  if (!options) return <Loading what="the console" />;
  if (!identity) return <Navigate to={`/sign-in?returnTo=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Layout>{children}</Layout>;
};

const Home = () => {
  const { identity } = useSession();
  return <Navigate to={identity ? homeOf(identity.role) : '/sign-in'} replace />;
};

export const App = () => (
  <Routes>
    <Route path="/sign-in" element={<SignInPage />} />
    <Route path="/signed-in" element={<ProviderCallbackPage />} />
    <Route path="/" element={<Home />} />
    <Route path="/worklist" element={<SignedIn><WorklistPage /></SignedIn>} />
    <Route path="/courses/new" element={<SignedIn><StartCoursePage /></SignedIn>} />
    <Route path="/courses/:courseId" element={<SignedIn><CoursePage /></SignedIn>} />
    <Route path="/audit/*" element={<SignedIn><AuditRoutes /></SignedIn>} />
    <Route path="/admin/*" element={<SignedIn><AdminRoutes /></SignedIn>} />
    <Route path="*" element={<SignedIn><p>There is no page here. Use the menu above.</p></SignedIn>} />
  </Routes>
);
