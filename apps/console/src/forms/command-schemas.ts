import { useQuery } from '@tanstack/react-query';
import { request } from '../api/http';

/**
 * The commands' JSON Schemas, read from the service's own OpenAPI document (the same schemas the API
 * parses with): forms are generated from them, so a field added to a command appears in the console
 * without a change here.
 */
export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: readonly (string | number)[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  examples?: unknown[];
};

type OpenApi = { components?: { schemas?: Record<string, JsonSchema> } };

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

/** A field's label from its description's first clause ("Systolic blood pressure, in mmHg (…)" → "Systolic blood pressure, in mmHg"). */
export const labelOf = (name: string, schema: JsonSchema): string => {
  const description = schema.description?.trim();
  if (description) {
    const clause = description.split(/\s\(|\.\s|\.$|:\s/)[0]!.trim();
    if (clause.length >= 3 && clause.length <= 80) return clause;
  }
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export const typeOf = (schema: JsonSchema): string | undefined => (Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type);
