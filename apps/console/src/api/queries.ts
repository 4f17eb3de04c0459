import { useQuery, type UseQueryOptions } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** A GET of the API as the signed-in person, cached by path (and refreshed on an interval when asked). */
export const useApiGet = <T,>(path: string | null, options: Omit<UseQueryOptions<T>, 'queryKey' | 'queryFn'> = {}) => {
  const { api, identity } = useSession();
  return useQuery<T>({
    queryKey: [identity?.sub ?? '', identity?.siteId ?? '', path],
    queryFn: async ({ signal }) => (await api<T>(path!, { signal })).body,
    enabled: path !== null && (options.enabled ?? true),
    ...options,
  });
};
