// The guest website in a real browser (Debian's Chromium) against the local stack on a random port with a fresh
// data directory. Every page visited is scanned with axe-core and photographed (target/browser-artifacts/); any
// console error, uncaught exception or CSP violation fails the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { guest, launch } from '../lib/browser.js';
import {
  CARD_DECLINED, CARD_OK, apiBookings, assertClean, available, checkpoint, day, eventually, fillCard, holdWithDetails,
  openBooking, signInAtProvider, signUpAtProvider, submitDetails, uniqueEmail,
} from '../lib/flow.js';
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

describe('guest website', () => {
  test('happy path: search, sign up, book, pay, confirmation, my bookings, cancel with refund, sign out', async () => {
    const g = await guest(browser, { name: 'happy-path' });
    const { page } = g;
    const checkIn = day(40);
    const checkOut = day(43);

    await page.goto(`${stack.base}/`);
    await assert.doesNotReject(page.locator('#rooms .card').nth(3).waitFor());
    assert.equal(await page.locator('#rooms .card').count(), 4, 'four room types on the landing page');
    assert.match(await page.locator('#rooms').innerText(), /From €120\.00/);
    assert.equal(await page.locator('#rooms img').count(), 4, 'every room type has its illustration');
    await checkpoint(g, 'landing');

    await page.getByLabel('Check-in').fill(checkIn);
    await page.getByLabel('Check-out').fill(checkOut);
    await page.getByLabel('Guests').fill('2');
    await page.getByRole('button', { name: 'Check availability' }).click();
    await page.waitForURL(/\/search\.html\?/);
    const deluxe = page.locator('article', { has: page.getByRole('heading', { name: 'Deluxe King with Harbour View' }) });
    await deluxe.waitFor();
    assert.match(await page.locator('#results-summary').innerText(), /3 nights · 2 guests/);
    assert.equal(await page.getByRole('heading', { name: 'Garden Single' }).count(), 0, 'a single room is not offered to two guests');
    await deluxe.locator('summary', { hasText: 'Price per night' }).click();
    assert.equal(await deluxe.locator('tbody tr').count(), 3, 'one row per night');
    const total = (await deluxe.locator('.price').innerText()).replace(' total', '');
    await checkpoint(g, 'search-results');

    await deluxe.getByRole('link', { name: 'Book this room' }).click();
    await page.waitForURL(/\/book\.html\?/);
    await page.getByRole('heading', { name: 'Sign in to book' }).waitFor();
    await checkpoint(g, 'book-sign-in');

    await page.getByRole('button', { name: 'Create an account' }).click();
    const adaEmail = uniqueEmail('ada');
    await signUpAtProvider(g, { name: 'Ada Lovelace', email: adaEmail, password: 'analytical-engine' });
    await page.waitForURL(/\/book\.html\?/);
    await page.getByRole('heading', { name: 'Who is staying?' }).waitFor();
    assert.equal(await page.getByLabel('Full name').inputValue(), 'Ada Lovelace', 'name filled from the ID token');
    assert.match(await page.locator('#account').innerText(), /Signed in as Ada Lovelace/);
    await checkpoint(g, 'book-details');

    // The form explains a bad phone number before anything is sent.
    await page.getByLabel('Mobile phone (optional)').fill('0123');
    await page.getByRole('button', { name: /Hold this room/ }).click();
    assert.match(await page.locator('#phone-error').innerText(), /international format/);
    await page.getByLabel('Mobile phone (optional)').fill('');
    await holdWithDetails(g, { name: 'Ada Lovelace', phone: '+44 20 7946 0958', notify: 'Both' });
    assert.match(await page.locator('#hold-timer').innerText(), /^1[45]:\d\d$/, 'the hold countdown runs');
    assert.match(await page.locator('#summary').innerText(), new RegExp(total.replace(/[.€]/g, '\\$&')), 'the quote is shown');
    await fillCard(page, CARD_OK);
    await checkpoint(g, 'book-payment');

    // A double click pays once: the button is disabled as soon as the first click is handled.
    await page.getByRole('button', { name: `Pay ${total}` }).dblclick();
    await page.waitForURL(/\/confirmation\.html\?ref=HB-/, { timeout: 30_000 });
    await page.getByRole('heading', { name: 'Booking confirmed' }).waitFor();
    const reference = (await page.locator('.reference').innerText()).trim();
    assert.match(reference, /^HB-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    assert.match(await page.locator('main').innerText(), /by email and text message/);
    await checkpoint(g, 'confirmation');
    assert.equal(g.requests.filter((r) => r === 'POST /api/bookings').length, 1, 'one hold for a double click');
    assert.equal(g.requests.filter((r) => /^POST \/stripe\/v1\/payment_intents\/\w+\/confirm$/.test(r)).length, 1, 'one payment');

    await page.getByRole('link', { name: 'All my bookings' }).click();
    await page.waitForURL(/\/bookings\.html/);
    const item = page.locator('li', { hasText: reference });
    await item.waitFor();
    assert.equal(await page.locator('.bookings > li').count(), 1);
    assert.match(await item.innerText(), /Confirmed/);
    await checkpoint(g, 'my-bookings');

    await item.getByRole('link', { name: `View booking ${reference}` }).click();
    await page.waitForURL(/\/booking\.html\?ref=/);
    await page.getByRole('heading', { name: 'Deluxe King with Harbour View' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Free cancellation until/);
    // A first-time guest gets the confirmation email with no opt-in step: it is in the outbox, addressed to them.
    const outbox = await (await fetch(`${stack.base}/dev/outbox.json`)).json();
    const mail = outbox.find((m) => m.channel === 'email' && m.to === adaEmail && m.body.includes(reference));
    assert.ok(mail && /confirmed/.test(mail.subject), `confirmation email for ${adaEmail}`);
    const messages = page.locator('#messages');
    assert.match(await messages.innerText(), /Email\s+Sent/);
    assert.match(await messages.innerText(), /Text message\s+Sent/);
    await checkpoint(g, 'booking-detail');

    await page.getByRole('button', { name: 'Cancel booking' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this booking?' });
    await dialog.waitFor();
    assert.match(await dialog.locator('#refund-preview').innerText(), new RegExp(`full refund of ${total.replace(/[.€]/g, '\\$&')}`));
    await checkpoint(g, 'cancel-refund-preview');
    await dialog.getByRole('button', { name: 'Yes, cancel booking' }).click();
    await page.getByRole('heading', { name: 'Booking cancelled' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Cancelled and refunded/);
    assert.match(await page.locator('main').innerText(), new RegExp(`Refund: ${total.replace(/[.€]/g, '\\$&')}`));
    await checkpoint(g, 'cancelled');
    assert.equal(await available(stack.base, 'deluxe-king', checkIn, checkOut, 2), 6, 'the room is free again');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.base}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assertClean(g);
    await g.context.close();
  });

  test('a bounced confirmation email is shown to the guest and on the outbox page', async () => {
    const g = await guest(browser, { name: 'bounced-email' });
    const { page } = g;
    const stay = { room: 'classic-double', checkIn: day(70), checkOut: day(72), guests: 2 };

    // The local switch: the next email is accepted, then bounces as SES would report it.
    await page.goto(`${stack.base}/dev/outbox`);
    await page.getByRole('button', { name: 'Make the next email bounce' }).click();
    await page.getByText('The next email will bounce.').waitFor();
    await checkpoint(g, 'outbox-bounce-armed');

    // A first-time guest (no opt-in step anywhere), with an account of their own so the other tests' guests
    // keep their booking lists.
    await openBooking(g, stack.base, stay);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await signUpAtProvider(g, { name: 'Mary Jackson', email: uniqueEmail('mary'), password: 'wind-tunnel-7' });
    await page.waitForURL(/\/book\.html\?/);
    await page.getByRole('heading', { name: 'Who is staying?' }).waitFor();
    await holdWithDetails(g, { name: 'Mary Jackson' });
    await fillCard(page, CARD_OK);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(/\/confirmation\.html\?ref=HB-/, { timeout: 30_000 });
    const reference = (await page.locator('.reference').innerText()).trim();
    assert.match(reference, /^HB-/, 'the reference is shown whatever becomes of the message');

    await page.goto(`${stack.base}/booking.html?ref=${reference}`);
    await eventually(async () => {
      await page.reload();
      await page.getByRole('heading', { name: 'Classic Double' }).waitFor();
      return /the address bounced/.test(await page.locator('main').innerText());
    }, 20_000, 'the bounce to reach the booking');
    assert.equal(await page.locator('#messages dd[data-channel="email"]').getAttribute('data-state'), 'failed');
    await checkpoint(g, 'booking-email-bounced');

    await page.goto(`${stack.base}/dev/outbox`);
    const email = page.locator('article[data-channel="email"]', { hasText: reference });
    await email.waitFor();
    assert.equal(await email.getAttribute('data-state'), 'failed');
    assert.match(await email.innerText(), /Failed: bounced/);
    await checkpoint(g, 'outbox-bounced');
    assertClean(g);
    await g.context.close();
  });

  test('a declined card is explained and leaves no booking', async () => {
    const g = await guest(browser, { name: 'declined-card' });
    const { page } = g;
    const stay = { room: 'family-suite', checkIn: day(50), checkOut: day(52), guests: 3 };
    // Chromium logs the payment server's 402 answer as a failed resource: provoked on purpose here.
    g.allow(/status of 402/);

    await openBooking(g, stack.base, stay);
    await page.getByRole('button', { name: 'Sign in', exact: true }).last().click();
    await signInAtProvider(g, { email: 'guest@example.com', password: 'demo-password' });
    await page.getByRole('heading', { name: 'Who is staying?' }).waitFor();
    await holdWithDetails(g, { name: 'Demo Guest' });
    assert.equal(await available(stack.base, stay.room, stay.checkIn, stay.checkOut, stay.guests), 2, 'the hold takes a room');

    await fillCard(page, CARD_DECLINED);
    await page.getByRole('button', { name: /^Pay / }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Your card was declined' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /No money was taken/);
    await checkpoint(g, 'declined');

    await eventually(async () => (await available(stack.base, stay.room, stay.checkIn, stay.checkOut, stay.guests)) === 3,
      15_000, 'the declined hold to be released');
    const bookings = await apiBookings(page);
    assert.ok(bookings.every((b) => !['held', 'confirmed'].includes(b.state)), `no live booking: ${JSON.stringify(bookings.map((b) => b.state))}`);

    await page.goto(`${stack.base}/bookings.html`);
    await page.getByText('You have no bookings yet.').waitFor();
    await checkpoint(g, 'declined-no-bookings');
    assertClean(g);
    await g.context.close();
  });

  test('sold out while booking, sold-out nights in search, expired hold and network failure are explained', async () => {
    const stay = { room: 'garden-single', checkIn: day(60), checkOut: day(62), guests: 1 };
    const first = await guest(browser, { name: 'sold-out-winner', viewport: { width: 390, height: 844 } });
    const second = await guest(browser, { name: 'sold-out-loser', viewport: { width: 390, height: 844 } });
    // The sold-out answer (409) and the cut network are provoked on purpose.
    second.allow(/status of 409/);
    second.allow(/ERR_INTERNET_DISCONNECTED/);

    // The second guest gets as far as the details form...
    await openBooking(second, stack.base, stay);
    await second.page.getByRole('button', { name: 'Create an account' }).click();
    await signUpAtProvider(second, { name: 'Grace Hopper', email: uniqueEmail('grace'), password: 'compiler-first' });
    await second.page.getByRole('heading', { name: 'Who is staying?' }).waitFor();

    // ...while the first guest holds the only garden single (phone-sized screen, with a fake clock for later).
    await first.context.clock.install();
    await openBooking(first, stack.base, stay);
    await first.page.getByRole('button', { name: 'Create an account' }).click();
    await signUpAtProvider(first, { name: 'Alan Turing', email: uniqueEmail('alan'), password: 'imitation-game' });
    await first.page.getByRole('heading', { name: 'Who is staying?' }).waitFor();
    await holdWithDetails(first, { name: 'Alan Turing' });
    await checkpoint(first, 'phone-payment');

    await submitDetails(second, { name: 'Grace Hopper' });
    const soldOut = second.page.getByRole('alert').filter({ hasText: 'Sold out' });
    await soldOut.waitFor();
    assert.match(await soldOut.innerText(), /Nothing was charged/);
    await checkpoint(second, 'sold-out-while-booking');

    await soldOut.getByRole('link', { name: 'Search other dates' }).click();
    await second.page.goto(`${stack.base}/search.html?check_in=${stay.checkIn}&check_out=${stay.checkOut}&guests=1`);
    const card = second.page.locator('article', { has: second.page.getByRole('heading', { name: 'Garden Single' }) });
    await card.waitFor();
    assert.match(await card.innerText(), /Sold out on/);
    await checkpoint(second, 'search-sold-out');

    // The first guest's 15 minutes run out (fast-forwarded clock): the hold is released and the page says so.
    await first.context.clock.fastForward('16:00');
    const expired = first.page.getByRole('alert').filter({ hasText: 'Your hold has expired' });
    await expired.waitFor();
    await checkpoint(first, 'hold-expired');
    await eventually(async () => (await available(stack.base, stay.room, stay.checkIn, stay.checkOut, 1)) === 1,
      15_000, 'the expired hold to be released');

    // The network drops during a search: a plain explanation and a working retry.
    await second.page.context().setOffline(true);
    await second.page.getByRole('button', { name: 'Search', exact: true }).click();
    const offline = second.page.getByRole('alert').filter({ hasText: 'We could not reach the hotel' });
    await offline.waitFor();
    await checkpoint(second, 'network-failure');
    await second.page.context().setOffline(false);
    await offline.getByRole('button', { name: 'Try again' }).click();
    await card.waitFor();
    assert.doesNotMatch(await card.innerText(), /Sold out/, 'free again after the hold expired');

    // An hour later the ID token has expired: the site renews it with the refresh token instead of asking again.
    await first.context.clock.fastForward('01:01:00');
    await first.page.goto(`${stack.base}/bookings.html`);
    await first.page.getByText('You have no bookings yet.').waitFor();
    const tokenCalls = first.requests.filter((r) => r === 'POST /idp/oauth2/token').length;
    assert.equal(tokenCalls, 2, 'one code exchange, then one refresh');

    assertClean(first);
    assertClean(second);
    await first.context.close();
    await second.context.close();
  });

  test('a broken sign-in return is explained; pages carry no inline script or style and say what they are', async () => {
    const g = await guest(browser, { name: 'pages' });
    const { page } = g;
    await page.goto(`${stack.base}/callback.html?code=stale&state=forged`);
    await page.getByRole('heading', { name: 'Sign-in did not finish' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Nothing was booked or charged/);
    await checkpoint(g, 'sign-in-failed');

    for (const file of ['/', '/search.html', '/book.html', '/confirmation.html', '/bookings.html', '/booking.html', '/callback.html']) {
      const res = await fetch(stack.base + file);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/, `${file} is served with the CSP`);
      const html = await res.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${file}: no inline script`);
      assert.doesNotMatch(html, /\sstyle=|<style/, `${file}: no inline style`);
      assert.match(html, /<html lang="en">/, `${file}: language`);
      assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/, `${file}: responsive viewport`);
      assert.match(html, /<title>[^<]+<\/title>/, `${file}: title`);
    }
    // Keyboard: the first Tab reaches "Skip to content"; the search form is reachable and labelled.
    await page.goto(`${stack.base}/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.labels?.[0]?.textContent), 'Check-in');

    // Signed-out visits to the private pages offer sign-in rather than failing.
    for (const file of ['/bookings.html', '/booking.html?ref=HB-AAAA-AAAA', '/confirmation.html?ref=HB-AAAA-AAAA']) {
      await page.goto(stack.base + file);
      await page.getByRole('button', { name: 'Create an account' }).waitFor();
      await checkpoint(g, `signed-out-${file.split(/[/.]/)[1]}`);
    }
    assertClean(g);
    await g.context.close();
  });

  // Last on purpose: it moves the stack's clock forward (hours), which the other tests do not expect.
  test('my bookings re-sends a confirmation: sent, already sent this hour, then the day\'s limit', async () => {
    const g = await guest(browser, { name: 'resend' });
    const { page } = g;
    // The limit's 429 is provoked on purpose; a token the moved clock expired is renewed after a 401.
    g.allow(/status of 429/);
    g.allow(/status of 401/);
    const clock = (change) => fetch(`${stack.base}/dev/clock`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change),
    }).then((r) => r.json());
    // Three hours must fit in one UTC day (the limit counts per day): start early in the next day if needed.
    const now = new Date((await (await fetch(`${stack.base}/dev/clock`)).json()).now);
    if (now.getUTCHours() >= 20) {
      const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 1));
      await clock({ set: next.toISOString() });
    }

    await openBooking(g, stack.base, { room: 'classic-double', checkIn: day(80), checkOut: day(81), guests: 2 });
    await page.getByRole('button', { name: 'Create an account' }).click();
    await signUpAtProvider(g, { name: 'Katherine Johnson', email: uniqueEmail('katherine'), password: 'orbital-mechanics' });
    await page.getByRole('heading', { name: 'Who is staying?' }).waitFor();
    await holdWithDetails(g, { name: 'Katherine Johnson' });
    await fillCard(page, CARD_OK);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(/\/confirmation\.html\?ref=HB-/, { timeout: 30_000 });
    const reference = (await page.locator('.reference').innerText()).trim();

    const outcome = async (expected) => {
      await page.goto(`${stack.base}/bookings.html`);
      const item = page.locator('li', { hasText: reference });
      await eventually(async () => {
        await page.reload();
        return (await item.getByRole('button', { name: 'Re-send confirmation' }).count()) === 1;
      }, 20_000, 'the booking to be confirmed and settled');
      await item.getByRole('button', { name: 'Re-send confirmation' }).click();
      const status = page.locator(`#resend-${reference}[data-outcome="${expected}"]`);
      await status.waitFor();
      return status.innerText();
    };
    assert.match(await outcome('sent'), /on its way again/);
    await checkpoint(g, 'resend-sent');
    assert.match(await outcome('already_sent'), /already sent again this hour/);
    await checkpoint(g, 'resend-already-sent');
    const emails = async () => (await (await fetch(`${stack.base}/dev/outbox.json`)).json())
      .filter((m) => m.channel === 'email' && m.body.includes(reference)).length;
    await eventually(async () => (await emails()) === 2, 15_000, 'the re-sent email in the outbox');

    for (const expected of ['sent', 'sent']) {
      await clock({ advance: 'PT1H' });
      assert.match(await outcome(expected), /on its way again/);
    }
    await clock({ advance: 'PT1H' });
    assert.match(await outcome('rate_limited'), /as often as we allow in one day/);
    await checkpoint(g, 'resend-rate-limited');
    await eventually(async () => (await emails()) === 4, 15_000, 'three re-sent emails, no more');
    assertClean(g);
    await g.context.close();
  });
});
