export * from './activities';
export * from './course-workflow';
export * from './search-attributes';
export { default as SEARCH_ATTRIBUTE_TYPES } from './search-attributes.json';
