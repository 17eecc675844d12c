// Steps a guest takes, shared by the tests. Each page the guest lands on is scanned with axe-core and
// photographed; `visit` collects the scan results so a test can assert on all of them at the end.
import assert from 'node:assert/strict';
import { axeViolations } from './browser.js';

export const CARD_OK = '4242 4242 4242 4242';
export const CARD_DECLINED = '4000 0000 0000 0002';

/** YYYY-MM-DD, `days` from today. */
export function day(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return date.toISOString().slice(0, 10);
}

export function uniqueEmail(who) {
  return `${who}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/**
 * Checks the page the guest is on: axe-core (serious and critical violations are recorded in `g.a11y`) and a
 * screenshot named `label`.
 */
export async function checkpoint(g, label) {
  const violations = await axeViolations(g.page);
  g.a11y ??= [];
  for (const v of violations) g.a11y.push(`${label} (${g.page.url()}): ${v}`);
  await g.screenshot(label);
}

/** Fails with every problem seen: axe violations, console errors, uncaught exceptions, CSP violations. */
export function assertClean(g) {
  assert.deepEqual(g.a11y ?? [], [], 'accessibility violations (serious or critical)');
  assert.deepEqual(g.problems, [], 'console errors, exceptions or CSP violations');
}

/** On the identity provider's sign-up page: creates the account and returns to the site. */
export async function signUpAtProvider(g, { name, email, password }) {
  const { page } = g;
  await page.waitForURL(/\/idp\/signup/);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await checkpoint(g, 'provider-signup');
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** On the identity provider's login page: signs in and returns to the site. */
export async function signInAtProvider(g, { email, password }) {
  const { page } = g;
  await page.waitForURL(/\/idp\/login/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await checkpoint(g, 'provider-login');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens the booking page for a stay directly (as a search result's "Book this room" link does). */
export async function openBooking(g, base, { room, checkIn, checkOut, guests }) {
  const query = new URLSearchParams({ room, check_in: checkIn, check_out: checkOut, guests: String(guests) });
  await g.page.goto(`${base}/book.html?${query}`);
}

/** Fills the guest details form and presses "Hold this room" (twice, like an impatient guest: it must hold once). */
export async function submitDetails(g, { name, phone = '', notify = 'Email' }) {
  const { page } = g;
  await page.getByLabel('Full name').fill(name);
  if (phone) await page.getByLabel('Mobile phone (optional)').fill(phone);
  await page.getByRole('radio', { name: notify, exact: true }).check();
  await page.getByRole('button', { name: /Hold this room/ }).dblclick();
}

/** Holds the room with these details and waits for the payment step. */
export async function holdWithDetails(g, details) {
  await submitDetails(g, details);
  await g.page.getByRole('heading', { name: 'Payment' }).waitFor();
}

export async function fillCard(page, number, expiry = '12 / 34', cvc = '123') {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date').fill(expiry);
  await page.getByLabel('Security code').fill(cvc);
}

/** The signed-in guest's bookings straight from the API, with the token the site keeps in sessionStorage. */
export async function apiBookings(page) {
  return page.evaluate(async () => {
    const tokens = JSON.parse(sessionStorage.getItem('hv.tokens'));
    const res = await fetch('/api/bookings', { headers: { Authorization: `Bearer ${tokens.id_token}` } });
    return (await res.json()).bookings;
  });
}

/** Free rooms of a type for a stay, from the public availability API. */
export async function available(base, room, checkIn, checkOut, guests) {
  const res = await fetch(`${base}/api/availability?check_in=${checkIn}&check_out=${checkOut}&guests=${guests}`);
  const view = await res.json();
  return view.rooms.find((r) => r.room_type === room).available;
}

/** Polls `check` (async, returns truthy when done) until it passes or `ms` runs out. */
export async function eventually(check, ms = 15_000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
