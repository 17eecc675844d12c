// My bookings: the signed-in guest's bookings (unfinished attempts that never held a room for long are left out).
import { $, ApiError, api, currentUser, day, h, money, plural, showError, signInPanel, stateLabel } from './core.js';

const content = $('#content');
const HIDDEN_STATES = new Set(['released', 'expired']);

function item(booking, roomName) {
  const id = `b-${booking.reference}`;
  return h('li', { class: 'panel' },
    h('div', { class: 'booking-row' },
      h('div', {},
        h('h2', { id }, roomName),
        h('p', {}, `${day(booking.check_in)} – ${day(booking.check_out)} · ${plural(booking.nights.length, 'night')} · ${plural(booking.guests, 'guest')}`),
        h('p', { class: 'hint' }, 'Reference ', h('strong', {}, booking.reference))),
      h('div', {},
        h('p', {}, h('span', { class: `badge ${booking.state}` }, stateLabel(booking.state))),
        h('p', { class: 'price' }, money(booking.total))),
      h('a', { class: 'button secondary small', href: `/booking.html?ref=${encodeURIComponent(booking.reference)}`, 'aria-describedby': id },
        `View booking ${booking.reference}`)));
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
