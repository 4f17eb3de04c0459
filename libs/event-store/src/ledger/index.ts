export * from './checkpoint-signer';
export * from './ledger-entry';
export * from './ledger-integrator';
export * from './ledger-verifier';
export * from './merkle';
