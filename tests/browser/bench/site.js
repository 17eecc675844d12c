// The site's budget report (`cargo xtask bench site`): for the landing and search pages, the requests a first
// visit makes and their bytes (as served here, and gzip/brotli-compressed as CloudFront would send them), then
// Lighthouse's performance, accessibility, best-practices and SEO scores (default mobile profile, simulated
// throttling) against the local stack. Writes target/bench/site.json, target/bench/site.md and the Lighthouse
// HTML reports. A report, not a test: it fails only if it cannot measure.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM, CHROMIUM_FLAGS, launch } from '../lib/browser.js';
import { day } from '../lib/flow.js';
import { ROOT, startStack } from '../lib/stack.js';

const OUT = process.env.BENCH_DIR ?? path.join(ROOT, 'target', 'bench');
const LANDING_BUDGET = 60 * 1024;
const TEXT = /^(text\/|application\/(json|javascript)|image\/svg\+xml)/;

const pages = [
  { name: 'landing', path: '/' },
  { name: 'search', path: `/search.html?check_in=${day(30)}&check_out=${day(32)}&guests=2` },
];

/** A first visit with an empty cache: every response, its size as served and compressed. */
async function transfer(browser, url) {
  const context = await browser.newContext({ viewport: { width: 412, height: 823 } });
  const page = await context.newPage();
  const done = [];
  page.on('requestfinished', (request) => done.push(request));
  await page.goto(url, { waitUntil: 'networkidle' });
  const resources = [];
  for (const request of done) {
    const response = await request.response();
    if (!response) continue;
    const body = await response.body().catch(() => Buffer.alloc(0));
    const sizes = await request.sizes();
    const type = (response.headers()['content-type'] ?? '').split(';')[0];
    const compressible = TEXT.test(type) && body.length > 0;
    const headers = sizes.responseHeadersSize;
    resources.push({
      url: new URL(request.url()).pathname + new URL(request.url()).search,
      type,
      status: response.status(),
      headers,
      body: body.length,
      gzip: compressible ? gzipSync(body, { level: 6 }).length : body.length,
      brotli: compressible
        ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }).length
        : body.length,
    });
  }
  await context.close();
  const sum = (key) => resources.reduce((total, r) => total + r[key], 0);
  const headers = sum('headers');
  return {
    requests: resources.length,
    served: headers + sum('body'),
    uncompressed: sum('body'),
    gzip: headers + sum('gzip'),
    brotli: headers + sum('brotli'),
    resources,
  };
}

async function audit(url, port) {
  const result = await lighthouse(url, {
    port,
    output: 'html',
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
  });
  const { categories, audits } = result.lhr;
  const score = (id) => Math.round((categories[id]?.score ?? 0) * 100);
  return {
    scores: { performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices'), seo: score('seo') },
    metrics: {
      fcpMs: Math.round(audits['first-contentful-paint'].numericValue),
      lcpMs: Math.round(audits['largest-contentful-paint'].numericValue),
      tbtMs: Math.round(audits['total-blocking-time'].numericValue),
      cls: Number(audits['cumulative-layout-shift'].numericValue.toFixed(3)),
      speedIndexMs: Math.round(audits['speed-index'].numericValue),
    },
    failed: Object.values(audits)
      .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual')
      .map((a) => `${a.id}: ${a.title}`),
    report: result.report,
  };
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function markdown(report) {
  const lines = [
    '# Site budget report',
    '',
    `Measured ${report.measuredAt} against the local stack (\`cargo xtask bench site\`). Chromium ${report.chromium}, Lighthouse ${report.lighthouse} (mobile profile, simulated throttling).`,
    '',
    'Bytes are a first visit with an empty cache, headers included. The local server sends files uncompressed; the',
    'compressed columns are what CloudFront sends with gzip or brotli (each body compressed here with the same',
    'algorithm). The landing page budget is 60 KB compressed without Stripe.js (Stripe.js loads only on the payment step).',
    '',
    '| page | requests | served here | gzip | brotli | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of report.pages) {
    const { scores: s, metrics: m } = p.lighthouse;
    lines.push(`| ${p.name} (\`${p.path.split('?')[0]}\`) | ${p.transfer.requests} | ${kb(p.transfer.served)} | ${kb(p.transfer.gzip)} | ${kb(p.transfer.brotli)} | ${s.performance} | ${s.accessibility} | ${s.bestPractices} | ${s.seo} | ${m.fcpMs} ms | ${m.lcpMs} ms | ${m.tbtMs} ms | ${m.cls} |`);
  }
  const landing = report.pages.find((p) => p.name === 'landing');
  lines.push('', `Landing page budget (60 KB compressed): ${landing.transfer.gzip <= LANDING_BUDGET ? 'within' : 'OVER'} (${kb(landing.transfer.gzip)} gzip).`);
  for (const p of report.pages) {
    lines.push('', `## ${p.name}: \`${p.path}\``, '', '| resource | type | status | body | gzip | brotli |', '|---|---|---:|---:|---:|---:|');
    for (const r of p.transfer.resources) lines.push(`| \`${r.url}\` | ${r.type} | ${r.status} | ${r.body} | ${r.gzip} | ${r.brotli} |`);
    if (p.lighthouse.failed.length) lines.push('', 'Lighthouse audits not fully passed:', '', ...p.lighthouse.failed.map((f) => `- ${f}`));
  }
  return `${lines.join('\n')}\n`;
}

const stack = await startStack();
const browser = await launch();
let chrome;
try {
  chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: CHROMIUM_FLAGS });
  const report = {
    measuredAt: new Date().toISOString(),
    chromium: browser.version(),
    lighthouse: (await import('lighthouse/package.json', { with: { type: 'json' } })).default.version,
    pages: [],
  };
  mkdirSync(OUT, { recursive: true });
  for (const p of pages) {
    const url = stack.base + p.path;
    const measured = await transfer(browser, url);
    const lh = await audit(url, chrome.port);
    writeFileSync(path.join(OUT, `lighthouse-${p.name}.html`), lh.report);
    delete lh.report;
    report.pages.push({ ...p, transfer: measured, lighthouse: lh });
    console.log(`${p.name}: ${measured.requests} requests, ${kb(measured.served)} served, ${kb(measured.gzip)} gzip, ${kb(measured.brotli)} brotli; `
      + `Lighthouse performance ${lh.scores.performance}, accessibility ${lh.scores.accessibility}, best practices ${lh.scores.bestPractices}, SEO ${lh.scores.seo}`);
  }
  writeFileSync(path.join(OUT, 'site.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(OUT, 'site.md'), markdown(report));
  console.log(`report: ${path.join(OUT, 'site.md')}`);
} finally {
  await chrome?.kill();
  await browser.close();
  await stack.stop();
}
