export * from './data-source';
export * from './event-store';
export * from './hash-chain';
export * from './migrations';
export * from './verify-stream';
export * from './ledger';
export * from './access-log/access-log';
