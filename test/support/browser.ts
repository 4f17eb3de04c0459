import * as fs from 'node:fs';
import * as path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Screenshots and measurements of the browser tests (git-ignored). */
export const ARTEFACTS_DIR = path.resolve(__dirname, '../../tmp/browser');

/**
 * Debian's chromium (installed by `npm test` when missing; never a browser download), headless, with
 * the background networking this closed network refuses turned off.
 */
export const launchBrowser = async (): Promise<Browser> =>
  chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

/** A person at their own browser: a context of their own (their own sessionStorage, so their own sign-in). */
export const openAs = async (browser: Browser, baseUrl: string): Promise<{ context: BrowserContext; page: Page }> => {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  return { context, page };
};

/** The console's local sign-in, as a person fills it in. */
export const signIn = async (page: Page, person: { name: string; role: string; site: string }, path = '/console/'): Promise<void> => {
  await page.goto(path);
  await page.getByLabel('Your name, as printed on your signatures').fill(person.name);
  await page.getByLabel('Role').selectOption(person.role);
  await page.getByLabel('Site', { exact: true }).fill(person.site);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
};

/** WCAG 2 A/AA problems axe rates serious or critical on the page as it is now (none expected). */
export const seriousA11yViolations = async (page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> => {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
};

/** Saves a full-page screenshot under tmp/browser/ as an artefact of the run. */
export const screenshot = async (page: Page, name: string): Promise<void> => {
  fs.mkdirSync(ARTEFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTEFACTS_DIR, `${name}.png`), fullPage: true });
};

/** Each page checked the same way: no serious accessibility problem, and a screenshot kept. */
export const checkPage = async (page: Page, name: string): Promise<void> => {
  await screenshot(page, name);
  expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({ page: name, violations: [] });
};
