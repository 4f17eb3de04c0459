/** The part of JSON Schema (2020-12, as the API's OpenAPI 3.1 document holds it) the forms read. */
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
