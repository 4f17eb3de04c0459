import { useQueries } from '@tanstack/react-query';
import { useApiGet } from '../api/queries';
import type { ProtocolVersion } from '../api/types';
import { useSession } from '../auth/session';

type ProtocolList = { protocols: { id: string; title: string; versions: number[]; latestVersion: number }[] };

export const useProtocols = () => useApiGet<ProtocolList>('/protocols', { staleTime: 10 * 60_000 });

export const useProtocolVersion = (protocol: { id: string; version: number } | null | undefined) =>
  useApiGet<ProtocolVersion>(protocol ? `/protocols/${encodeURIComponent(protocol.id)}/versions/${protocol.version}` : null, { staleTime: Infinity });

/**
 * Who may take a command, by the protocol: the worklist does not say which protocol a course follows,
 * so the roles are those of every shipped protocol version that permits the command (they agree today).
 */
export const useProtocolPermissions = (): ((courseId: string, command: string) => string[]) => {
  const { api } = useSession();
  const list = useProtocols();
  const versions = useQueries({
    queries: (list.data?.protocols ?? []).flatMap((p) =>
      p.versions.map((v) => ({
        queryKey: ['protocol', p.id, v],
        queryFn: async () => (await api<ProtocolVersion>(`/protocols/${encodeURIComponent(p.id)}/versions/${v}`)).body,
        staleTime: Infinity,
      })),
    ),
  });
  return (_courseId, command) => {
    const roles = new Set<string>();
    for (const v of versions) for (const r of (v.data?.permissions as Record<string, readonly string[]> | undefined)?.[command] ?? []) roles.add(r);
    return [...roles];
  };
};
