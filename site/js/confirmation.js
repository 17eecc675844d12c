// The confirmation page: the booking reference and what happens next. Waits briefly if the payment provider's
// webhook has not confirmed the booking yet (e.g. after a redirect back from a 3-D Secure check).
import { $, ApiError, api, currentUser, day, explain, focusOn, h, moment, money, notice, plural, signInPanel } from './core.js';

const content = $('#content');
const reference = new URLSearchParams(location.search).get('ref') ?? '';

const CHANNELS = { email: 'by email', sms: 'by text message', both: 'by email and text message' };

function render(booking, roomName) {
  const contact = booking.contact ?? {};
  const where = contact.notify_by === 'sms' ? contact.phone : contact.notify_by === 'both' ? `${contact.email} and ${contact.phone}` : contact.email;
  const title = h('h1', { tabindex: '-1' }, 'Booking confirmed');
  content.replaceChildren(
    title,
    h('section', { class: 'panel', 'aria-labelledby': 'ref-label' },
      h('p', { id: 'ref-label' }, `Thank you${contact.name ? `, ${contact.name}` : ''}. Your booking reference is`),
      h('p', { class: 'reference' }, booking.reference),
      h('p', {}, `Your confirmation is on its way ${CHANNELS[contact.notify_by] ?? ''}${where ? ` to ${where}` : ''}. Quote the reference if you contact us.`)),
    h('section', { class: 'panel', 'aria-labelledby': 'stay-title' },
      h('h2', { id: 'stay-title' }, 'Your stay'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Room'), h('dd', {}, roomName + (booking.rooms > 1 ? ` × ${booking.rooms}` : '')),
        h('dt', {}, 'Check-in'), h('dd', {}, day(booking.check_in)),
        h('dt', {}, 'Check-out'), h('dd', {}, day(booking.check_out)),
        h('dt', {}, 'Nights'), h('dd', {}, String(booking.nights.length)),
        h('dt', {}, 'Guests'), h('dd', {}, String(booking.guests)),
        h('dt', {}, 'Total'), h('dd', {}, money(booking.total))),
      booking.cancellation?.status === 'open'
        ? h('p', {}, `Free cancellation until ${moment(booking.cancellation.free_until)}.`)
        : null,
      h('p', {},
        h('a', { class: 'button', href: `/booking.html?ref=${encodeURIComponent(booking.reference)}` }, 'View or cancel this booking'),
        ' ',
        h('a', { class: 'button secondary', href: '/bookings.html' }, 'All my bookings'))),
  );
  document.title = `Booking ${booking.reference} confirmed · Harbour View Hotel`;
  focusOn(title);
}

async function load() {
  if (!reference) {
    content.replaceChildren(notice('error', { title: 'No booking given', text: 'Open your booking from My bookings.' }));
    return;
  }
  if (!currentUser()) {
    content.replaceChildren(h('h1', {}, 'Your booking'), signInPanel('to see your booking', location.pathname + location.search));
    return;
  }
  try {
    const [{ rooms }] = await Promise.all([api('/rooms')]);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const booking = await api(`/bookings/${encodeURIComponent(reference)}`, { auth: true });
      const roomName = rooms.find((r) => r.id === booking.room_type)?.name ?? booking.room_type;
      if (booking.state === 'confirmed') {
        render(booking, roomName);
        return;
      }
      if (booking.state !== 'held' || Date.now() > deadline) {
        content.replaceChildren(h('h1', {}, 'Your booking'), notice('info', {
          title: booking.state === 'held' ? 'Still waiting for the payment' : 'This booking is not confirmed',
          text: booking.state === 'held'
            ? `The payment for ${booking.reference} has not come through yet. It will show in My bookings once it does.`
            : `Booking ${booking.reference}: ${plural(booking.nights.length, 'night')} from ${day(booking.check_in)} is not confirmed. Nothing was charged.`,
        }), h('p', {}, h('a', { href: '/bookings.html' }, 'Go to My bookings')));
        return;
      }
      content.replaceChildren(h('p', { role: 'status' }, 'Confirming your booking…'));
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'signin') {
      content.replaceChildren(signInPanel('to see your booking', location.pathname + location.search));
      return;
    }
    const box = notice('error', explain(error), { onRetry: load });
    content.replaceChildren(h('h1', {}, 'Your booking'), box);
    focusOn(box);
  }
}

load();
