// Shared by every page: the environment (/config.json), sign-in (OAuth 2.0 authorization code + PKCE against the
// configured identity provider: Cognito's hosted UI in AWS, the local provider in dev), the API client, formatting
// and small DOM helpers. No framework, no build step: each page loads its own module, which imports this one.

export const LOCALE = 'en-GB';
const TOKENS_KEY = 'hv.tokens';
const PENDING_KEY = 'hv.signin';
const EXPIRY_MARGIN_MS = 60_000;

// ---------------------------------------------------------------------------------------------- environment

let configPromise;
/** The environment: API base, identity provider, payments. Fetched once per page (preloaded by the HTML). */
export function config() {
  configPromise ??= (async () => {
    let res;
    try {
      res = await fetch('/config.json', { credentials: 'same-origin' });
    } catch {
      throw new ApiError('network');
    }
    if (!res.ok) throw new ApiError('http', { status: res.status });
    return res.json();
  })();
  // A failed fetch is not remembered: the next call (a "Try again") fetches again.
  configPromise.catch(() => {
    configPromise = undefined;
  });
  return configPromise;
}

// ---------------------------------------------------------------------------------------------- errors

/**
 * A failed call. `kind` is `network` (no answer), `http` (an error answer, with the API's stable `code`) or
 * `signin` (the guest must sign in again).
 */
export class ApiError extends Error {
  constructor(kind, { status = 0, code = '', message = '', requestId = null } = {}) {
    super(message || code || kind);
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

/** A plain-language explanation of an error, with what the guest can do next. */
export function explain(error) {
  if (!(error instanceof ApiError)) {
    return { title: 'Something went wrong', text: 'An unexpected problem stopped this page. Reload the page and try again.' };
  }
  if (error.kind === 'network') {
    return {
      title: 'We could not reach the hotel',
      text: 'Your device seems to be offline or our server is not answering. Check your connection and try again.',
      retry: true,
    };
  }
  if (error.kind === 'signin') {
    return { title: 'Please sign in again', text: 'Your session has ended. Sign in again to continue; nothing you did so far is lost.', signIn: true };
  }
  const server = error.message ? capitalise(error.message) + (/[.!?]$/.test(error.message) ? '' : '.') : '';
  switch (error.code) {
    case 'sold_out':
      return {
        title: 'Sold out',
        text: 'Someone else has just booked the last room for these dates. Nothing was charged. Try other dates or another room.',
        search: true,
      };
    case 'stay_in_past':
      return { title: 'Those dates have passed', text: 'Check-in cannot be in the past. Pick new dates.', search: true };
    case 'invalid_dates':
      return { title: 'Check the dates', text: 'Check-out must be after check-in.', search: true };
    case 'stay_too_long':
    case 'above_maximum_stay':
    case 'below_minimum_stay':
    case 'lead_time_too_short':
    case 'beyond_booking_horizon':
    case 'over_occupancy':
      return { title: 'These dates do not work for this room', text: server, search: true };
    case 'too_many_rooms':
      return { title: 'Not that many rooms', text: `${server} Choose fewer rooms or another room type.`, search: true };
    case 'invalid_guest_details':
      return { title: 'Check your details', text: server };
    case 'cancellation_closed':
      return { title: 'This booking can no longer be cancelled online', text: `${server}` };
    case 'booking_not_confirmed':
      return { title: 'Not confirmed yet', text: `${server} Reload the page to see where the booking stands.` };
    case 'booking_not_found':
    case 'not_found':
      return { title: 'Booking not found', text: 'We cannot find this booking in your account. It may belong to another account.' };
    case 'invalid_state':
      return { title: 'This booking has changed', text: 'It can no longer be changed this way. Reload the page to see where it stands.' };
    case 'request_in_progress':
    case 'conflict':
      return { title: 'Still working on it', text: 'Your previous request is still being processed. Wait a moment and try again.', retry: true };
    case 'payment_unavailable':
      return { title: 'Payments are not answering', text: 'The payment service is not answering right now. Nothing was charged. Try again in a moment.', retry: true };
    default:
      if (error.status >= 500 || error.status === 0) {
        return { title: 'The service is having trouble', text: 'Our booking service could not answer. Nothing was charged. Try again in a moment.', retry: true };
      }
      return { title: 'That did not work', text: server || 'The request was refused.' };
  }
}

// ---------------------------------------------------------------------------------------------- sign-in

function readJSON(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function b64url(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function randomId(bytes = 16) {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function claimsOf(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** Only paths on this site may be returned to after sign-in (no open redirect through `state`). */
function safeReturn(path) {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : '/';
}

/** The signed-in guest ({name, email, sub}), or null. Reads the ID token's claims; the API verifies the token. */
export function currentUser() {
  const tokens = readJSON(sessionStorage, TOKENS_KEY);
  const claims = tokens && claimsOf(tokens.id_token);
  if (!claims) return null;
  if (!tokens.refresh_token && tokens.expires_at < Date.now()) return null;
  return { sub: claims.sub, name: claims.name || claims.email || 'Guest', email: claims.email || '' };
}

function storeTokens(body, previous) {
  const tokens = {
    id_token: body.id_token,
    access_token: body.access_token,
    refresh_token: body.refresh_token || previous?.refresh_token || null,
    expires_at: Date.now() + (Number(body.expires_in) || 3600) * 1000,
  };
  sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  return tokens;
}

async function tokenRequest(fields) {
  const cfg = await config();
  let res;
  try {
    res = await fetch(cfg.identity.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: cfg.identity.clientId, ...fields }),
    });
  } catch {
    throw new ApiError('network');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.id_token) {
    throw new ApiError('http', { status: res.status, code: body.error || 'token_error', message: body.error_description || '' });
  }
  return body;
}

let refreshing = null;
/** Uses the refresh token to get new tokens; false if there is none or it no longer works (then signs out locally). */
export function refreshTokens() {
  refreshing ??= (async () => {
    const tokens = readJSON(sessionStorage, TOKENS_KEY);
    if (!tokens?.refresh_token) return false;
    try {
      storeTokens(await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), tokens);
      return true;
    } catch (error) {
      if (error.kind === 'network') throw error;
      sessionStorage.removeItem(TOKENS_KEY);
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A valid ID token (refreshed when about to expire), or null when the guest must sign in. */
export async function idToken() {
  let tokens = readJSON(sessionStorage, TOKENS_KEY);
  if (!tokens?.id_token) return null;
  if (tokens.expires_at - EXPIRY_MARGIN_MS < Date.now()) {
    if (!(await refreshTokens())) return null;
    tokens = readJSON(sessionStorage, TOKENS_KEY);
  }
  return tokens.id_token;
}

/** Sends the browser to the identity provider's sign-in (or sign-up) page; comes back to `returnTo`. */
export async function signIn({ signup = false, returnTo = location.pathname + location.search } = {}) {
  const cfg = await config();
  const verifier = randomId(32);
  const state = randomId(16);
  const nonce = randomId(16);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo: safeReturn(returnTo) }));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.identity.clientId,
    redirect_uri: cfg.identity.redirectUri,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: b64url(digest),
    code_challenge_method: 'S256',
  });
  // Cognito's hosted UI and the local provider both serve /signup beside /oauth2/authorize, with the same query.
  const authorize = cfg.identity.authorizeUrl;
  const url = signup ? authorize.replace(/\/oauth2\/authorize$/, '/signup') : authorize;
  location.assign(`${url}?${params}`);
}

/** Finishes sign-in on the callback page: checks `state`, redeems the code with the PKCE verifier, checks the nonce. */
export async function completeSignIn(query) {
  const pending = readJSON(sessionStorage, PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (query.get('error')) {
    throw new ApiError('http', { code: 'signin_refused', message: query.get('error_description') || query.get('error') });
  }
  const code = query.get('code');
  if (!pending || !code || query.get('state') !== pending.state) {
    throw new ApiError('http', { code: 'signin_stale', message: 'This sign-in link has expired or was opened in another tab.' });
  }
  const cfg = await config();
  const body = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: cfg.identity.redirectUri,
    code_verifier: pending.verifier,
  });
  const claims = claimsOf(body.id_token);
  if (!claims || (claims.nonce !== undefined && claims.nonce !== pending.nonce)) {
    throw new ApiError('http', { code: 'signin_stale', message: 'The sign-in answer does not match this request.' });
  }
  storeTokens(body, null);
  return safeReturn(pending.returnTo);
}

/** Forgets the tokens here, then lets the identity provider end its session and send the guest home. */
export async function signOut() {
  sessionStorage.removeItem(TOKENS_KEY);
  const cfg = await config();
  const params = new URLSearchParams({ client_id: cfg.identity.clientId, logout_uri: `${location.origin}/` });
  location.assign(`${cfg.identity.logoutUrl}?${params}`);
}

// ---------------------------------------------------------------------------------------------- API

let serverOffsetMs = 0;
/** The server's clock as best known (from the last API answer's Date header), for hold countdowns. */
export function serverNow() {
  return Date.now() + serverOffsetMs;
}

/**
 * Calls the API. `auth` sends the ID token (refreshing it once on a 401). Resolves to the JSON body; rejects with
 * an ApiError.
 */
export async function api(path, { method = 'GET', body, auth = false, idempotencyKey } = {}) {
  const cfg = await config();
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    if (auth) {
      const token = await idToken();
      if (!token) throw new ApiError('signin', { status: 401 });
      headers.Authorization = `Bearer ${token}`;
    }
    let res;
    try {
      res = await fetch(cfg.apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError('network');
    }
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) serverOffsetMs = date - Date.now();
    if (res.status === 401 && auth) {
      if (attempt === 0 && (await refreshTokens())) continue;
      sessionStorage.removeItem(TOKENS_KEY);
      throw new ApiError('signin', { status: 401 });
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const e = data?.error ?? {};
      throw new ApiError('http', { status: res.status, code: e.code || '', message: e.message || '', requestId: e.request_id ?? null });
    }
    return data;
  }
}

// ---------------------------------------------------------------------------------------------- formatting

export function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

const moneyFormats = new Map();
/** `{minor, currency}` as "€329.00", using the currency's own number of decimals. */
export function money(amount) {
  if (!amount) return '';
  let format = moneyFormats.get(amount.currency);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: amount.currency });
    moneyFormats.set(amount.currency, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(amount.minor / 10 ** digits);
}

const dayFormat = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const shortDayFormat = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
const momentFormat = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** "2026-12-04" → "Fri 4 Dec 2026" (a calendar date, no time zone shift). */
export function day(iso, { short = false } = {}) {
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? iso : (short ? shortDayFormat : dayFormat).format(date);
}

/** An instant in the guest's own time zone. */
export function moment(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : momentFormat.format(date);
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A list of dates as "Fri 4 Dec, Sat 5 Dec and Sun 6 Dec". */
export function dayList(dates) {
  const days = dates.map((d) => day(d, { short: true }));
  return days.length < 2 ? days.join('') : `${days.slice(0, -1).join(', ')} and ${days.at(-1)}`;
}

/** Today's and later dates as YYYY-MM-DD in the guest's calendar. */
export function isoDate(date) {
  const y = date.getFullYear();
  const m = String(date.getMonth() + 1).padStart(2, '0');
  const d = String(date.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

export function addDays(iso, days) {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function nightsBetween(checkIn, checkOut) {
  return Math.round((Date.parse(`${checkOut}T00:00:00Z`) - Date.parse(`${checkIn}T00:00:00Z`)) / 86_400_000);
}

const STATES = {
  held: 'Awaiting payment',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  refunded: 'Cancelled and refunded',
  expired: 'Hold expired',
  released: 'Not completed',
};
export function stateLabel(state) {
  return STATES[state] ?? capitalise(state);
}

// ---------------------------------------------------------------------------------------------- DOM

/** Builds an element: `h('p', {class: 'x'}, 'text', child)`. Text is always text (never parsed as HTML). */
export function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Moves focus to an element (a heading or message) so keyboard and screen reader users land on what changed. */
export function focusOn(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus();
}

/**
 * Runs `action` with `button` disabled and marked busy, so a second click cannot submit twice. Returns what
 * `action` returns; a click while busy is ignored (returns undefined).
 */
export async function busy(button, action, busyText) {
  if (button.getAttribute('aria-busy') === 'true') return undefined;
  const label = button.textContent;
  button.setAttribute('aria-busy', 'true');
  button.disabled = true;
  if (busyText) button.textContent = busyText;
  try {
    return await action();
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = false;
    if (busyText) button.textContent = label;
  }
}

/** A message box (role=alert for errors) with the actions an explanation suggests. */
export function notice(kind, { title, text, retry, signIn: needsSignIn, search }, { onRetry } = {}) {
  const actions = [];
  if (retry && onRetry) actions.push(h('button', { type: 'button', class: 'button small', onclick: onRetry }, 'Try again'));
  if (needsSignIn) actions.push(h('button', { type: 'button', class: 'button small', onclick: () => signIn() }, 'Sign in'));
  if (search) {
    const href = typeof search === 'string' ? search : '/search.html';
    actions.push(h('a', { class: 'button small secondary', href }, 'Search other dates'));
  }
  return h(
    'div',
    { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('h2', {}, title),
    text ? h('p', {}, text) : null,
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

/** Shows an error in `container` (replacing its content) and focuses it. */
export function showError(container, error, onRetry) {
  const box = notice('error', explain(error), { onRetry });
  container.replaceChildren(box);
  container.hidden = false;
  focusOn(box);
  return box;
}

/** The header's account area: the guest's name and Sign out, or Sign in. */
function renderAccount() {
  const area = $('#account');
  if (!area) return;
  const user = currentUser();
  if (user) {
    area.replaceChildren(
      h('span', { class: 'who' }, 'Signed in as ', h('strong', {}, user.name)),
      h('button', { type: 'button', class: 'button small ghost', onclick: () => signOut() }, 'Sign out'),
    );
  } else {
    area.replaceChildren(h('button', { type: 'button', class: 'button small ghost', onclick: () => signIn() }, 'Sign in'));
  }
}

/** A panel asking the guest to sign in (or create an account) to see `what`. */
export function signInPanel(what, returnTo) {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, `Sign in ${what}`),
    h('p', {}, 'You will come straight back here after signing in.'),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'button', onclick: () => signIn({ returnTo }) }, 'Sign in'),
      ' ',
      h('button', { type: 'button', class: 'button secondary', onclick: () => signIn({ signup: true, returnTo }) }, 'Create an account'),
    ),
  );
}

renderAccount();
config().then((cfg) => {
  for (const el of document.querySelectorAll('[data-hotel-name]')) el.textContent = cfg.hotel;
}, () => {});
