import { useQueries } from '@tanstack/react-query';
import { useApiGet } from '../api/queries';
import type { ProtocolVersion } from '../api/types';
import { useSession } from '../auth/session';

type ProtocolList = { protocols: { id: string; title: string; versions: number[]; latestVersion: number }[] };

export const useProtocols = () => useApiGet<ProtocolList>('/protocols', { staleTime: 10 * 60_000 });

export const useProtocolVersion = (protocol: { id: string; version: number } | null | undefined) =>
  useApiGet<ProtocolVersion>(protocol ? `/protocols/${encodeURIComponent(protocol.id)}/versions/${protocol.version}` : null, { staleTime: Infinity });

/**
 * Who may take a command, by the protocol version a course follows (each worklist line names it). A line
 * without one (a course summary written before it was kept) gets the roles of every shipped version.
 */
export const useProtocolPermissions = (): ((protocol: { id: string; version: number } | null, command: string) => string[]) => {
  const { api } = useSession();
  const list = useProtocols();
  const entries = (list.data?.protocols ?? []).flatMap((p) => p.versions.map((v) => ({ id: p.id, version: v })));
  const versions = useQueries({
    queries: entries.map((p) => ({
      queryKey: ['protocol', p.id, p.version],
      queryFn: async () => (await api<ProtocolVersion>(`/protocols/${encodeURIComponent(p.id)}/versions/${p.version}`)).body,
      staleTime: Infinity,
    })),
  });
  const rolesIn = (v: ProtocolVersion | undefined, command: string): readonly string[] => (v?.permissions as Record<string, readonly string[]> | undefined)?.[command] ?? [];
  return (protocol, command) => {
    const exact = protocol ? versions.find((_, i) => entries[i]!.id === protocol.id && entries[i]!.version === protocol.version)?.data : undefined;
    if (exact) return [...rolesIn(exact, command)];
    return [...new Set(versions.flatMap((v) => rolesIn(v.data, command)))];
  };
};
