export * from './payload-codec/aes-gcm-payload-codec';
export * from './payload-codec/data-converter';
export * from './payload-codec/payload-keyring';
export * from './signatures/record-hash';
export * from './secrets/secret-box';
