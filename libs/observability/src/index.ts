export * from './metrics-server';
