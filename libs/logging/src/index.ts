export * from './pino-logger';
export * from './redact';
