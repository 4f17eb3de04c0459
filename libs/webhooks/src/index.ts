export * from './classify-response';
export * from './deliver';
export * from './retry-schedule';
export * from './secrets';
export * from './signing';
export * from './ssrf-guard';
export * from './catalogue';
export * from './store/integrations-store';
