// The local operations dashboard (/dev/metrics) after a guest books, pays and cancels in the browser: the page
// draws the deployed dashboard definition from the stack's EMF stream, so its funnel must count exactly this run.
// Its own stack (fresh data directory), so the counts are this test's alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { guest, launch } from '../lib/browser.js';
import { CARD_OK, assertClean, checkpoint, day, eventually, fillCard, holdWithDetails, openBooking, signInAtProvider } from '../lib/flow.js';
import { startStack } from '../lib/stack.js';

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The figure a widget's legend shows for a metric row (the statistic over the page's window). */
async function figure(page, widget, label) {
  const section = page.locator('section.widget', { has: page.getByRole('heading', { name: widget, exact: true }) });
  return (await section.locator(`td[data-label="${label}"]`).innerText()).trim();
}

describe('local metrics', () => {
  test('books, pays and cancels, then /dev/metrics shows the funnel of that run', async () => {
    const g = await guest(browser, { name: 'dev-metrics', viewport: { width: 1400, height: 900 } });
    const { page } = g;
    await openBooking(g, stack.base, { room: 'deluxe-king', checkIn: day(30), checkOut: day(32), guests: 2 });
    await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
    await signInAtProvider(g, { email: 'guest@example.com', password: 'demo-password' });
    await page.getByRole('heading', { name: 'Who is staying?' }).waitFor();
    await holdWithDetails(g, { name: 'Demo Guest' });
    await fillCard(page, CARD_OK);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(/\/confirmation\.html\?ref=HB-/, { timeout: 30_000 });
    const reference = (await page.locator('.reference').innerText()).trim();

    await page.goto(`${stack.base}/booking.html?ref=${reference}`);
    await page.getByRole('button', { name: 'Cancel booking' }).click();
    await page.getByRole('dialog', { name: 'Cancel this booking?' }).getByRole('button', { name: 'Yes, cancel booking' }).click();
    await page.getByRole('heading', { name: 'Booking cancelled' }).waitFor();

    // Webhooks and the refund settle asynchronously: the page refreshes itself, a test reloads.
    const funnel = 'Funnel over the time range';
    const counts = async () => ({
      requested: await figure(page, funnel, 'requested'),
      held: await figure(page, funnel, 'held'),
      authorised: await figure(page, funnel, 'authorised'),
      confirmed: await figure(page, funnel, 'confirmed'),
      cancelled: await figure(page, 'Cancellations and refunds', 'cancelled'),
      refunded: await figure(page, 'Cancellations and refunds', 'refunds issued'),
    });
    const expected = { requested: '1', held: '1', authorised: '1', confirmed: '1', cancelled: '1', refunded: '1' };
    await eventually(async () => {
      await page.goto(`${stack.base}/dev/metrics`);
      return JSON.stringify(await counts()) === JSON.stringify(expected);
    }, 20_000, 'the funnel of this run on /dev/metrics');
    assert.deepEqual(await counts(), expected);
    assert.ok((await page.locator('svg polyline, svg circle').count()) > 0, 'the time series are drawn');
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script: the CSP stays intact');
    assert.equal(await page.getByLabel('Refresh every 10 seconds').isChecked(), true, 'refreshing, and it can be stopped');
    await checkpoint(g, 'dev-metrics');
    assertClean(g);
    await g.context.close();
  });
});
