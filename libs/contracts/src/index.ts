export * from './activities';
export * from './course-workflow';
export * from './dosing-session';
export * from './search-attributes';
export { default as SEARCH_ATTRIBUTE_TYPES } from './search-attributes.json';
export * from './webhook-delivery';
export type * from './http/audit-entry';
export type * from './http/worklist';
export type * from './http/signature-check';
