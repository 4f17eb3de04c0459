import { Navigate, Route, Routes } from 'react-router-dom';
import { AccessLogPage } from './AccessLogPage';
import { AuditEntryPage } from './AuditEntryPage';
import { AuditEventsPage } from './AuditEventsPage';
import { DenialsPage } from './DenialsPage';
import { ExportPage } from './ExportPage';
import { VerifyPage } from './VerifyPage';
import './audit.css';

/** The auditors' pages under /audit (read-only; the API decides who may see what). */
export const AuditRoutes = () => (
  <Routes>
    <Route index element={<Navigate to="events" replace />} />
    <Route path="events" element={<AuditEventsPage />} />
    <Route path="events/:eventId" element={<AuditEntryPage />} />
    <Route path="verify" element={<VerifyPage />} />
    <Route path="export" element={<ExportPage />} />
    <Route path="access-log" element={<AccessLogPage />} />
    <Route path="denials" element={<DenialsPage />} />
    <Route path="*" element={<p>There is no audit page here. Use the menu above.</p>} />
  </Routes>
);
