import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';

type Command<TBody> = { path: string; body?: TBody };

/**
 * A POST or PATCH of the API as the signed-in person. The integrations routes take no Idempotency-Key
 * (see integrations.controller.ts), so none is sent; a button stays disabled while its command is
 * pending so one click is one request. Never retried. Reads whose path starts with one of
 * `refreshPrefixes` are fetched again after a success.
 */
export const useApiCommand = <TAnswer, TBody = undefined>(method: 'POST' | 'PATCH', refreshPrefixes: string[] = []) => {
  const { api } = useSession();
  const client = useQueryClient();
  return useMutation<TAnswer, unknown, Command<TBody>>({
    mutationFn: async ({ path, body }) => (await api<TAnswer>(path, { method, ...(body !== undefined ? { body } : {}) })).body,
    // Answers may carry a secret: drop them from memory as soon as no page shows them.
    gcTime: 0,
    onSuccess: () =>
      client.invalidateQueries({
        predicate: (q) => {
          const path = q.queryKey[2];
          return typeof path === 'string' && refreshPrefixes.some((prefix) => path.startsWith(prefix));
        },
      }),
  });
};
