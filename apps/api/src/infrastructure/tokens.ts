/** Nest injection tokens for things that are not classes. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
export const TEMPORAL_CONNECTION = Symbol('TEMPORAL_CONNECTION');
export const PAYLOAD_CODEC = Symbol('PAYLOAD_CODEC');
