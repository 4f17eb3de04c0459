export * from './metrics-server';
export * from './tracing';
