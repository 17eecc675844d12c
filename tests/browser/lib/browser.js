// Debian's Chromium driven by playwright-core (no browser download), with what every test checks on every page:
// console errors, uncaught exceptions and Content-Security-Policy violations, an axe-core scan, and screenshots.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from './stack.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const ARTIFACTS = process.env.ARTIFACTS_DIR ?? path.join(ROOT, 'target', 'browser-artifacts');

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

/**
 * A fresh browser context (its own cookies and sessionStorage: one guest) whose pages record problems in
 * `problems`. `allow` lists regular expressions for console errors a test provokes on purpose (e.g. the 402 a
 * declined card gets from the payment server, which Chromium logs as a failed resource).
 */
export async function guest(browser, { name, viewport = { width: 1280, height: 900 }, allow = [] } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/Dublin' });
  const problems = [];
  const allowed = [...allow];
  // Runs before any page script and is not subject to the page's CSP: reports violations as console errors.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = `${msg.text()} (${msg.location().url})`;
      if (!allowed.some((re) => re.test(text))) problems.push(`console error on ${page.url()}: ${text}`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.stack ?? error}`));
  };
  context.on('page', watch);
  const page = await context.newPage();
  const requests = [];
  page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
  const dir = path.join(ARTIFACTS, name ?? 'default');
  mkdirSync(dir, { recursive: true });
  let shot = 0;
  return {
    context,
    page,
    problems,
    /** Every request the page made, as "METHOD /path". */
    requests,
    /** Allows a console error pattern from now on (for a step that provokes one on purpose). */
    allow: (re) => allowed.push(re),
    /** Saves a full-page screenshot as NN-label.png and returns its path. */
    async screenshot(label) {
      shot += 1;
      const file = path.join(dir, `${String(shot).padStart(2, '0')}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
  };
}

/**
 * Runs axe-core on the current page (injected through the DevTools protocol, so the page's CSP is untouched) and
 * returns the serious and critical violations as readable lines.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
}
