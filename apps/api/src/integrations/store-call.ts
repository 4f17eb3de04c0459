import { ApiError } from '../errors/api-error';

/** Runs a call on the integrations store; a database failure becomes a retryable 503 (never its message). */
export const storeCall = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw ApiError.unavailable('The integrations store');
  }
};
