export * from './audit-columns';
