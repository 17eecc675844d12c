// Booking: the stay's quote, the guest's details, a hold on the rooms (POST /api/bookings with an Idempotency-Key),
// the hold countdown, payment (a card form talking to the local Stripe-compatible server, or Stripe's Payment
// Element when a real publishable key is configured), then the wait for the booking to be confirmed.
//
// Card data never goes to our API: it goes from this page to the payment server with the intent's client secret.
import {
  $, ApiError, api, config, currentUser, day, explain, focusOn, h, moment, money, notice, plural, randomId, serverNow,
  showError, signInPanel,
} from './core.js';
import { breakdownTable } from './price.js';
import { problemWith, readSearch, searchQuery } from './search-form.js';

const ATTEMPT_KEY = 'hv.attempt';
const CONFIRM_TIMEOUT_MS = 30_000;

const flow = $('#flow');
const message = $('#message');
const query = new URLSearchParams(location.search);
const search = readSearch(query);
const roomId = query.get('room') ?? '';
const stayKey = `${roomId}|${search ? searchQuery(search) : ''}`;

const state = {
  room: null, // the availability entry for this room type
  info: null, // the catalogue entry (image, description)
  attempt: null, // {stayKey, key, body, reference}: the current Idempotency-Key and what it was used for
  hold: null, // {booking, payment} from POST /api/bookings
  holdUsable: false, // false once the hold was released (declined card) or ran out
  payment: null, // the mounted payment method: {confirm(payment), reset(payment)}
  timer: 0,
};

function setStep(step) {
  for (const id of ['details', 'pay', 'done']) {
    const li = $(`#step-${id}`);
    if (id === step) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
}

/** explain(), with "Search other dates" leading back to this stay's search. */
function explainHere(error) {
  const explanation = explain(error);
  return explanation.search && search ? { ...explanation, search: `/search.html?${searchQuery(search)}` } : explanation;
}

function say(kind, content) {
  message.replaceChildren(content);
  message.hidden = false;
  if (kind === 'error') focusOn(content);
}

function clearMessage() {
  message.hidden = true;
  message.replaceChildren();
}

function saveAttempt() {
  sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify(state.attempt));
}

function loadAttempt() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(ATTEMPT_KEY) ?? 'null');
    return saved?.stayKey === stayKey ? saved : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------ summary

function renderSummary(nights, total, rooms) {
  const body = $('#summary-body');
  const image = state.info?.image ? h('img', { src: state.info.image, alt: '', width: 320, height: 200 }) : null;
  body.replaceChildren(
    image ?? '',
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Room'), h('dd', {}, state.room.name + (rooms > 1 ? ` × ${rooms}` : '')),
      h('dt', {}, 'Check-in'), h('dd', {}, day(search.checkIn)),
      h('dt', {}, 'Check-out'), h('dd', {}, day(search.checkOut)),
      h('dt', {}, 'Guests'), h('dd', {}, String(search.guests)),
    ),
    h('details', {}, h('summary', {}, `Price for ${plural(nights.length, 'night')}`), breakdownTable(nights, total)),
    h('p', { class: 'total' }, 'Total ', money(total)),
    h('p', { class: 'hint' }, 'Taxes included. You pay now; free cancellation is shown on your booking once confirmed.'),
  );
  $('#summary').hidden = false;
}

// ------------------------------------------------------------------------------------------------ details

function field(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  input.id = id;
  input.name = id;
  if (hintId) input.setAttribute('aria-describedby', `${hintId} ${id}-error`);
  else input.setAttribute('aria-describedby', `${id}-error`);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

function setFieldError(form, name, text) {
  const input = form.elements[name];
  const error = $(`#${name}-error`, form);
  if (!input || !error) return;
  if (text) {
    input.setAttribute('aria-invalid', 'true');
    error.textContent = text;
    error.hidden = false;
  } else {
    input.removeAttribute('aria-invalid');
    error.textContent = '';
    error.hidden = true;
  }
}

function normalisePhone(raw) {
  return raw.replace(/[\s().-]/g, '');
}

/** Checks the details form; returns the request body or null (with the errors shown and the first one focused). */
function readDetails(form) {
  const name = form.elements.name.value.trim();
  const email = form.elements.email.value.trim();
  const phone = normalisePhone(form.elements.phone.value);
  const notifyBy = form.elements.notify_by.value || 'email';
  const errors = {
    name: !name ? 'Enter the name the booking is for.' : name.length > 100 ? 'Use at most 100 characters.' : '',
    email: !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? 'Enter an email address like name@example.com.' : '',
    phone: phone && !/^\+[1-9]\d{7,14}$/.test(phone)
      ? 'Enter the number in international format, starting with + and the country code, e.g. +44 20 7946 0958.'
      : !phone && notifyBy !== 'email' ? 'Enter a mobile number to get text messages, or choose email only.' : '',
  };
  for (const [key, text] of Object.entries(errors)) setFieldError(form, key, text);
  const first = Object.keys(errors).find((key) => errors[key]);
  if (first) {
    form.elements[first].focus();
    return null;
  }
  return {
    room_type: roomId,
    check_in: search.checkIn,
    check_out: search.checkOut,
    guests: search.guests,
    rooms: state.room.rooms_needed,
    guest: { name, email, phone: phone || null, notify_by: notifyBy },
  };
}

function renderDetails(user) {
  setStep('details');
  const saved = state.attempt?.body?.guest;
  const input = (attrs) => h('input', attrs);
  const form = h(
    'form',
    { class: 'panel', novalidate: true, 'aria-labelledby': 'details-title' },
    h('h2', { id: 'details-title' }, 'Who is staying?'),
    h(
      'div',
      { class: 'fields two' },
      field('name', 'Full name', input({ type: 'text', autocomplete: 'name', required: true, maxlength: 100, value: saved?.name ?? user.name ?? '' })),
      field('email', 'Email', input({ type: 'email', autocomplete: 'email', required: true, value: saved?.email ?? user.email ?? '' }),
        'Your confirmation goes here.'),
      field('phone', 'Mobile phone (optional)', input({ type: 'tel', autocomplete: 'tel', inputmode: 'tel', value: saved?.phone ?? '' }),
        'International format, e.g. +44 20 7946 0958. Needed for text messages.'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Send my confirmation by'),
      h(
        'div',
        { class: 'choices' },
        ['email', 'sms', 'both'].map((value) =>
          h('label', {}, h('input', { type: 'radio', name: 'notify_by', value, checked: (saved?.notify_by ?? 'email') === value }),
            { email: 'Email', sms: 'Text message', both: 'Both' }[value])),
      ),
    ),
    h('button', { type: 'submit', class: 'button' }, 'Hold this room and continue to payment'),
    h('p', { class: 'hint' }, 'We hold the room for you while you pay. Nothing is charged yet.'),
  );
  form.addEventListener('input', (event) => {
    if (event.target.name && event.target.name !== 'notify_by') setFieldError(form, event.target.name, '');
  });
  form.addEventListener('change', (event) => {
    if (event.target.name === 'notify_by') setFieldError(form, 'phone', '');
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    if (button.getAttribute('aria-busy') === 'true') return;
    const body = readDetails(form);
    if (!body) return;
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    try {
      clearMessage();
      await hold(body);
      await renderPayment();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_guest_details') {
        const fieldName = ['phone', 'email', 'name'].find((f) => error.message.includes(f)) ?? 'name';
        setFieldError(form, fieldName, explain(error).text);
        form.elements[fieldName].focus();
      } else {
        say('error', notice('error', explainHere(error), { onRetry: () => form.requestSubmit() }));
      }
    } finally {
      button.removeAttribute('aria-busy');
      button.disabled = false;
    }
  });
  flow.replaceChildren(form);
}

// ------------------------------------------------------------------------------------------------ hold

/**
 * Holds the rooms. The same body reuses the same Idempotency-Key (a retry after a network failure holds nothing
 * twice); a new body, or a new attempt after a released hold, gets a fresh key.
 */
async function hold(body, { fresh = false } = {}) {
  const same = state.attempt && JSON.stringify(state.attempt.body) === JSON.stringify(body);
  if (!same || fresh) state.attempt = { stayKey, key: randomId(18), body, reference: null };
  saveAttempt();
  const created = await api('/bookings', { method: 'POST', body, auth: true, idempotencyKey: state.attempt.key });
  state.attempt.reference = created.booking.reference;
  saveAttempt();
  state.hold = created;
  state.holdUsable = true;
  renderSummary(created.booking.nights, created.booking.total, created.booking.rooms);
  return created;
}

/** After a reload: replays the saved request (same key, same body) and checks where that booking stands now. */
async function resume(attempt) {
  state.attempt = attempt;
  const created = await api('/bookings', { method: 'POST', body: attempt.body, auth: true, idempotencyKey: attempt.key });
  const now = await api(`/bookings/${encodeURIComponent(created.booking.reference)}`, { auth: true });
  if (now.state === 'confirmed') {
    sessionStorage.removeItem(ATTEMPT_KEY);
    location.replace(`/confirmation.html?ref=${encodeURIComponent(now.reference)}`);
    return 'done';
  }
  if (now.state !== 'held' || Date.parse(now.hold_expires_at) <= serverNow()) return 'gone';
  state.hold = { booking: now, payment: created.payment };
  state.holdUsable = true;
  renderSummary(now.nights, now.total, now.rooms);
  return 'held';
}

// ------------------------------------------------------------------------------------------------ payment

function stopTimer() {
  clearInterval(state.timer);
  state.timer = 0;
}

function startTimer() {
  stopTimer();
  const expires = Date.parse(state.hold.booking.hold_expires_at);
  const clock = $('#hold-timer');
  const announcer = $('#hold-announcer');
  const warned = new Set();
  const tick = () => {
    const left = Math.max(0, Math.round((expires - serverNow()) / 1000));
    clock.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    for (const minutes of [5, 1]) {
      if (left <= minutes * 60 && left > 0 && !warned.has(minutes)) {
        warned.add(minutes);
        announcer.textContent = `${plural(minutes, 'minute')} left to pay before the room is released.`;
      }
    }
    if (left === 0) {
      stopTimer();
      holdLost('expired');
    }
  };
  tick();
  state.timer = setInterval(tick, 1000);
}

/** The hold is gone (the card was declined, or time ran out): the next Pay first holds the room again. */
function holdLost(why, detail = '') {
  const wasUsable = state.holdUsable;
  state.holdUsable = false;
  stopTimer();
  if (why === 'expired' && wasUsable && state.hold) {
    // Let go of the stale hold now rather than at the next sweep, so holding again cannot collide with it. A hold
    // the server already released answers 409, which is fine.
    api(`/bookings/${encodeURIComponent(state.hold.booking.reference)}/cancel`, { method: 'POST', body: {}, auth: true }).catch(() => {});
  }
  $('#hold-status').replaceChildren('The room is no longer held. Paying will try to hold it again.');
  const texts = {
    declined: {
      title: 'Your card was declined',
      text: `${detail ? `${detail} ` : ''}No money was taken and the room was let go. Check the card details or use another card, then press Pay to hold the room again and pay.`,
    },
    expired: {
      title: 'Your hold has expired',
      text: 'The time to pay ran out, so the room was released and nothing was charged. Press Pay to hold it again, if it is still free.',
    },
  };
  say('error', notice('error', texts[why]));
}

async function renderPayment() {
  setStep('pay');
  const cfg = await config();
  const { booking } = state.hold;
  const payButton = h('button', { type: 'submit', class: 'button', id: 'pay' }, `Pay ${money(booking.total)}`);
  const methodBox = h('div', { id: 'payment-method' });
  const form = h(
    'form',
    { class: 'panel', novalidate: true, 'aria-labelledby': 'pay-title' },
    h('h2', { id: 'pay-title', tabindex: '-1' }, 'Payment'),
    h(
      'p',
      { id: 'hold-status' },
      'Your room is held for ',
      h('span', { class: 'timer', id: 'hold-timer', role: 'timer', 'aria-live': 'off' }, '15:00'),
      ` (until ${moment(booking.hold_expires_at)}). Reference `,
      h('strong', {}, booking.reference),
      '.',
    ),
    h('p', { class: 'visually-hidden', id: 'hold-announcer', 'aria-live': 'polite' }),
    methodBox,
    payButton,
    ' ',
    h('button', { type: 'button', class: 'linklike', id: 'release' }, 'Cancel and release the room'),
  );
  flow.replaceChildren(form);
  startTimer();
  focusOn($('#pay-title'));

  try {
    state.payment = cfg.payments.mode === 'local'
      ? (await import('./pay-local.js')).mountCardForm(methodBox, cfg.payments)
      : await (await import('./pay-stripe.js')).mountPaymentElement(methodBox, cfg.payments, state.hold);
  } catch (error) {
    payButton.disabled = true;
    say('error', notice('error', {
      title: 'Payment could not start',
      text: 'The secure payment form did not load. Check your connection and reload the page; your room stays held until the timer runs out.',
    }));
    return;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (payButton.getAttribute('aria-busy') === 'true') return;
    if (!state.payment.validate()) return;
    const releaseButton = $('#release');
    payButton.setAttribute('aria-busy', 'true');
    payButton.disabled = true;
    releaseButton.disabled = true;
    try {
      await pay();
    } finally {
      payButton.removeAttribute('aria-busy');
      payButton.disabled = false;
      releaseButton.disabled = false;
    }
  });
  $('#release').addEventListener('click', release);
}

async function pay() {
  clearMessage();
  try {
    if (!state.holdUsable) {
      await hold(state.attempt.body, { fresh: true });
      await state.payment.reset(state.hold);
      $('#hold-status').replaceChildren(
        'Your room is held again for ',
        h('span', { class: 'timer', id: 'hold-timer', role: 'timer', 'aria-live': 'off' }, ''),
        `. New reference `,
        h('strong', {}, state.hold.booking.reference),
        '.',
      );
      startTimer();
    }
  } catch (error) {
    say('error', notice('error', explainHere(error), { onRetry: () => $('#pay').click() }));
    return;
  }
  const outcome = await state.payment.confirm(state.hold.payment);
  if (outcome.ok) {
    await waitForConfirmation(state.hold.booking.reference);
  } else if (outcome.declined) {
    holdLost('declined', outcome.message);
  } else if (outcome.expired) {
    holdLost('expired');
  } else if (outcome.invalid) {
    // The payment server refused the card details before trying them; the hold stands. The form shows why.
  } else {
    say('error', notice('error', outcome.explanation ?? {
      title: 'Payment did not go through',
      text: 'We could not complete the payment. Nothing was charged. Try again.',
      retry: true,
    }, { onRetry: () => $('#pay').click() }));
  }
}

/** The payment is authorised; the booking is confirmed when the payment provider's webhook arrives. */
async function waitForConfirmation(reference) {
  stopTimer();
  setStep('done');
  const status = h('div', { class: 'notice ok', role: 'status' }, h('h2', {}, 'Payment authorised'), h('p', {}, 'Confirming your booking…'));
  flow.replaceChildren(status);
  focusOn(status);
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const booking = await api(`/bookings/${encodeURIComponent(reference)}`, { auth: true });
      if (booking.state === 'confirmed') {
        sessionStorage.removeItem(ATTEMPT_KEY);
        location.assign(`/confirmation.html?ref=${encodeURIComponent(reference)}`);
        return;
      }
      if (booking.state !== 'held') {
        flow.replaceChildren(notice('error', {
          title: 'We could not confirm this booking',
          text: 'Your hold ended before the payment was complete. The payment was cancelled and nothing was charged. Please search again.',
          search: `/search.html?${searchQuery(search)}`,
        }));
        return;
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.kind !== 'network') break;
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
  flow.replaceChildren(h(
    'div',
    { class: 'notice info', role: 'status' },
    h('h2', {}, 'Your payment is being processed'),
    h('p', {}, `Confirmation is taking longer than usual. Your reference is ${reference}; you will get a confirmation as soon as it is done, and it will show in My bookings.`),
    h('p', {}, h('a', { href: `/booking.html?ref=${encodeURIComponent(reference)}` }, 'See this booking')),
  ));
}

async function release(event) {
  const button = event.currentTarget;
  if (button.getAttribute('aria-busy') === 'true') return;
  button.setAttribute('aria-busy', 'true');
  button.disabled = true;
  try {
    if (state.holdUsable) {
      await api(`/bookings/${encodeURIComponent(state.hold.booking.reference)}/cancel`, { method: 'POST', body: {}, auth: true });
    }
    stopTimer();
    sessionStorage.removeItem(ATTEMPT_KEY);
    flow.replaceChildren(notice('ok', { title: 'Room released', text: 'Nothing was charged.', search: `/search.html?${searchQuery(search)}` }));
    focusOn(flow.firstChild);
  } catch (error) {
    say('error', notice('error', explainHere(error)));
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = false;
  }
}

// ------------------------------------------------------------------------------------------------ start

async function start() {
  const problem = !search || !roomId ? 'This booking link is incomplete.' : problemWith(search);
  if (problem) {
    $('#loading').remove();
    say('error', notice('error', { title: 'Let us start again', text: `${problem} Search for your dates first.`, search: '/search.html' }));
    return;
  }
  let view;
  let catalogue;
  try {
    [view, catalogue] = await Promise.all([api(`/availability?${searchQuery(search)}`), api('/rooms')]);
  } catch (error) {
    showError(message, error, () => location.reload());
    $('#loading')?.remove();
    return;
  }
  state.room = view.rooms.find((r) => r.room_type === roomId);
  state.info = catalogue.rooms.find((r) => r.id === roomId) ?? null;
  $('#loading')?.remove();
  if (!state.room) {
    say('error', notice('error', { title: 'Room not found', text: 'We do not have this kind of room. Search again to see what is free.', search: `/search.html?${searchQuery(search)}` }));
    return;
  }
  $('#title').textContent = `Book the ${state.room.name}`;
  document.title = `Book the ${state.room.name} · ${catalogue.hotel}`;
  if (!state.room.bookable) {
    const why = state.room.unavailable_reason?.message
      ?? (state.room.sold_out_nights.length ? `Sold out on ${state.room.sold_out_nights.map((d) => day(d)).join(', ')}` : 'Not available');
    say('error', notice('error', { title: 'Not available for these dates', text: `${why}. Try other dates or another room.`, search: `/search.html?${searchQuery(search)}` }));
    return;
  }
  renderSummary(state.room.nights, state.room.total, state.room.rooms_needed);

  const user = currentUser();
  if (!user) {
    flow.replaceChildren(signInPanel('to book', location.pathname + location.search));
    return;
  }
  const saved = loadAttempt();
  if (saved?.reference) {
    try {
      const where = await resume(saved);
      if (where === 'held') {
        await renderPayment();
        return;
      }
      if (where === 'done') return;
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'signin') {
        flow.replaceChildren(signInPanel('to book', location.pathname + location.search));
        return;
      }
    }
    state.attempt = { ...saved, reference: null, key: randomId(18) };
  }
  renderDetails(user);
}

start();
