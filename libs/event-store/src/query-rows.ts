/**
 * The rows of a `DataSource.query` answer. TypeORM answers an UPDATE or DELETE with
 * `[rows, affectedCount]` and every other statement with the rows, so `RETURNING` rows of an UPDATE
 * need unwrapping before they are counted or read.
 */
export const queryRows = <T>(result: unknown): T[] =>
  (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result) as T[];
