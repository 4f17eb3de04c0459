import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '@care/crypto';

// The repository root when running from sources, or dist/ when running compiled code: the layout
// below it (libs/<name>/src/index, workflows/src/index) is the same in both.
const ROOT = path.resolve(__dirname, '../../..');
const LIBS = ['config', 'contracts', 'event-store', 'protocol'];

/**
 * Builds the workflow bundle. Temporal's webpack does not read tsconfig `paths`, so the `@care/*`
 * aliases are added here; otherwise the workflow could not import the protocol core.
 */
export const bundleCourseWorkflows = async (): Promise<WorkflowBundleWithSourceMap> =>
  bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(ROOT, 'workflows/src/index')),
    // Failures raised in workflows carry their message in an encoded (encrypted) attribute.
    failureConverterPath: FAILURE_CONVERTER_PATH,
    // Always bundled, tracing on or off, so turning it on changes nothing in a workflow's history.
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error, log: () => undefined },
    webpackConfigHook: (config) => {
      const alias = Object.fromEntries(LIBS.map((lib) => [`@care/${lib}`, path.join(ROOT, 'libs', lib, 'src', 'index')]));
      config.resolve = { ...config.resolve, alias: { ...(config.resolve?.alias as object), ...alias } };
      return config;
    },
  });

/** A prebuilt bundle (production images) when WORKFLOW_BUNDLE_PATH names one, else a fresh build. */
export const loadCourseWorkflows = async (bundlePath = process.env['WORKFLOW_BUNDLE_PATH']): Promise<{ code: string }> => {
  if (bundlePath) return { code: fs.readFileSync(bundlePath, 'utf8') };
  return bundleCourseWorkflows();
};
