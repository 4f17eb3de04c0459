import { useQuery } from '@tanstack/react-query';
import { request } from '../api/http';
import type { JsonSchema } from './json-schema';

/**
 * The commands' JSON Schemas, read from the service's own OpenAPI document (the same schemas the API
 * parses with): forms are generated from them, so a field added to a command appears in the console
 * without a change here.
 */

type OpenApi = { components?: { schemas?: Record<string, JsonSchema> } };

export type { JsonSchema };
export type CommandSchema = { title: string; description: string; data: JsonSchema };

export const useCommandSchemas = () =>
  useQuery({
    queryKey: ['openapi'],
    queryFn: async () => (await request<OpenApi>(null, '/openapi.json')).body,
    staleTime: Infinity,
    select: (doc) => (type: string): CommandSchema | null => {
      const schema = doc.components?.schemas?.[`${type}Command`];
      const data = schema?.properties?.['data'];
      if (!schema || !data) return null;
      return { title: data.title ?? schema.title ?? type, description: data.description ?? schema.description ?? '', data };
    },
  });
