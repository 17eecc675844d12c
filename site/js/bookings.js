// My bookings: the signed-in guest's bookings (unfinished attempts that never held a room for long are left out),
// and for a confirmed one, its confirmation sent again on request (once per hour, a few times a day).
import { $, ApiError, api, busy, currentUser, day, explain, h, money, plural, showError, signInPanel, stateLabel } from './core.js';

const content = $('#content');
const HIDDEN_STATES = new Set(['released', 'expired']);

/** What became of a re-send request, in the guest's words. */
function resendText(result) {
  return result.status === 'already_sent'
    ? 'Your confirmation was already sent again this hour, so nothing new was sent. Check your inbox and spam folder.'
    : 'Your confirmation is on its way again, by the channels you chose. It should arrive within a few minutes.';
}

async function resend(booking, button, status) {
  await busy(button, async () => {
    try {
      const result = await api(`/bookings/${encodeURIComponent(booking.reference)}/confirmation`, { method: 'POST', auth: true });
      status.className = 'resend-status notice ok';
      status.dataset.outcome = result.status;
      status.textContent = resendText(result);
    } catch (error) {
      const limited = error instanceof ApiError && error.code === 'resend_limit_reached';
      status.className = `resend-status notice ${limited ? 'info' : 'error'}`;
      status.dataset.outcome = limited ? 'rate_limited' : 'error';
      status.textContent = limited
        ? 'This confirmation has been sent again as often as we allow in one day. You can ask again tomorrow; your booking is safe either way.'
        : explain(error).text;
    }
  }, 'Sending…');
}

function resendControls(booking, describedBy) {
  if (booking.state !== 'confirmed' || booking.money?.status !== 'settled') return null;
  const status = h('p', { class: 'resend-status', role: 'status', id: `resend-${booking.reference}` });
  const button = h('button', { type: 'button', class: 'button secondary small', 'aria-describedby': describedBy },
    'Re-send confirmation');
  button.addEventListener('click', () => resend(booking, button, status));
  return [button, status];
}

function item(booking, roomName) {
  const id = `b-${booking.reference}`;
  const [resendButton, resendStatus] = resendControls(booking, id) ?? [];
  return h('li', { class: 'panel' },
    h('div', { class: 'booking-row' },
      h('div', {},
        h('h2', { id }, roomName),
        h('p', {}, `${day(booking.check_in)} – ${day(booking.check_out)} · ${plural(booking.nights.length, 'night')} · ${plural(booking.guests, 'guest')}`),
        h('p', { class: 'hint' }, 'Reference ', h('strong', {}, booking.reference))),
      h('div', {},
        h('p', {}, h('span', { class: `badge ${booking.state}` }, stateLabel(booking.state))),
        h('p', { class: 'price' }, money(booking.total))),
      h('div', { class: 'booking-actions' },
        h('a', { class: 'button secondary small', href: `/booking.html?ref=${encodeURIComponent(booking.reference)}`, 'aria-describedby': id },
          `View booking ${booking.reference}`),
        resendButton)),
    resendStatus);
}

async function load() {
  if (!currentUser()) {
    content.replaceChildren(signInPanel('to see your bookings', location.pathname));
    return;
  }
  try {
    const [{ bookings }, { rooms }] = await Promise.all([api('/bookings', { auth: true }), api('/rooms')]);
    const names = new Map(rooms.map((r) => [r.id, r.name]));
    const shown = bookings.filter((b) => !HIDDEN_STATES.has(b.state));
    if (!shown.length) {
      content.replaceChildren(h('div', { class: 'panel' },
        h('p', {}, 'You have no bookings yet.'),
        h('p', {}, h('a', { class: 'button', href: '/search.html' }, 'Find a room'))));
      return;
    }
    content.replaceChildren(h('ul', { class: 'bookings', 'aria-label': plural(shown.length, 'booking') },
      shown.map((b) => item(b, names.get(b.room_type) ?? b.room_type))));
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'signin') {
      content.replaceChildren(signInPanel('to see your bookings', location.pathname));
      return;
    }
    showError(content, error, load);
  }
}

load();
