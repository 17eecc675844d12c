// One booking: its details and price, and cancellation with the refund shown before the guest confirms.
import {
  $, ApiError, api, currentUser, day, explain, focusOn, h, moment, money, notice, plural, signInPanel, stateLabel,
} from './core.js';
import { breakdownTable } from './price.js';

const content = $('#content');
const dialog = $('#cancel-dialog');
const reference = new URLSearchParams(location.search).get('ref') ?? '';
const NOTIFY = { email: 'Email', sms: 'Text message', both: 'Email and text message' };
const CHANNEL = { email: 'Email', sms: 'Text message' };
const FAILED = {
  bounced: 'Not delivered: the address bounced. Check your email address, or contact the hotel.',
  complained: 'Not delivered: the message was reported as spam.',
  rejected: 'Not sent: the message could not be sent.',
  address_undeliverable: 'Not sent: earlier messages to this address bounced.',
};

/** What became of the latest message on each channel (booking_ports::DeliveryState on the wire). */
function deliveryText(n) {
  if (n.state === 'delivered') return 'Delivered';
  if (n.state === 'failed') return FAILED[n.reason] ?? 'Not delivered';
  return 'Sent';
}

function notificationsPanel(notifications) {
  if (!notifications?.length) return null;
  return h('section', { class: 'panel', 'aria-labelledby': 'messages-title', id: 'messages' },
    h('h2', { id: 'messages-title' }, 'Messages about this booking'),
    h('dl', { class: 'facts' },
      notifications.map((n) => [
        h('dt', {}, CHANNEL[n.channel] ?? n.channel),
        h('dd', { 'data-channel': n.channel, 'data-state': n.state, class: n.state === 'failed' ? 'delivery failed' : 'delivery' },
          `${deliveryText(n)} (${moment(n.at)})`),
      ])));
}
let roomNames = new Map();

function refundText(preview) {
  if (preview.penalty.minor === 0) {
    return `You will get a full refund of ${money(preview.refund)} to the card you paid with. Free cancellation lasts until ${moment(preview.free_until)}.`;
  }
  return `You will get ${money(preview.refund)} back to the card you paid with. ${money(preview.penalty)} (the first night) is not refunded, because free cancellation ended on ${moment(preview.free_until)}.`;
}

/** What happened to the refund: only "on its way" once the payment provider has issued it. */
function refundState(booking) {
  if (booking.money?.status === 'settled') {
    return booking.money.refunded?.minor > 0
      ? `${money(booking.money.refunded)} returned to the card you paid with.`
      : `${money(booking.refund)}: nothing was charged, so nothing needs returning.`;
  }
  return `${money(booking.refund)} to the card you paid with. The refund is being processed; we will tell you when it has gone out.`;
}

function render(booking, status) {
  const roomName = roomNames.get(booking.room_type) ?? booking.room_type;
  const contact = booking.contact ?? {};
  const title = h('h1', { id: 'title', tabindex: '-1' }, roomName);
  const actions = [];
  const cancellation = booking.cancellation ?? null;
  if (booking.state === 'confirmed' && cancellation?.status === 'open') {
    actions.push(h('button', { type: 'button', class: 'button danger', id: 'cancel', onclick: openCancel }, 'Cancel booking'));
  }
  if (booking.state === 'held') {
    actions.push(h('button', { type: 'button', class: 'button secondary', id: 'cancel', onclick: () => doCancel(booking) }, 'Release the room'));
  }
  content.replaceChildren(
    title,
    h('p', {}, 'Reference ', h('strong', { class: 'reference-inline' }, booking.reference), ' ',
      h('span', { class: `badge ${booking.state}` }, stateLabel(booking.state))),
    status ?? '',
    h('section', { class: 'panel', 'aria-labelledby': 'stay-title' },
      h('h2', { id: 'stay-title' }, 'Your stay'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Check-in'), h('dd', {}, day(booking.check_in)),
        h('dt', {}, 'Check-out'), h('dd', {}, day(booking.check_out)),
        h('dt', {}, 'Nights'), h('dd', {}, String(booking.nights.length)),
        h('dt', {}, 'Guests'), h('dd', {}, `${booking.guests}${booking.rooms > 1 ? ` in ${plural(booking.rooms, 'room')}` : ''}`),
        h('dt', {}, 'Booked'), h('dd', {}, moment(booking.created_at)),
        booking.state === 'held' && booking.hold_expires_at ? [h('dt', {}, 'Pay by'), h('dd', {}, moment(booking.hold_expires_at))] : null),
      breakdownTable(booking.nights, booking.total),
      booking.refund ? h('p', {}, h('strong', {}, 'Refund: '), refundState(booking)) : null,
      booking.state === 'confirmed' && cancellation?.status === 'open'
        ? h('p', {}, cancellation.penalty.minor === 0
          ? `Free cancellation until ${moment(cancellation.free_until)}.`
          : `Cancelling now refunds ${money(cancellation.refund)}; the first night is not refundable any more.`)
        : null,
      booking.state === 'confirmed' && cancellation?.status === 'closed'
        ? h('p', { id: 'cancellation-closed' }, `This booking can no longer be cancelled online: your stay began ${moment(cancellation.closed_at)}. Please contact the hotel.`)
        : null),
    h('section', { class: 'panel', 'aria-labelledby': 'contact-title' },
      h('h2', { id: 'contact-title' }, 'Contact'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Name'), h('dd', {}, contact.name ?? ''),
        h('dt', {}, 'Email'), h('dd', {}, contact.email ?? ''),
        contact.phone ? [h('dt', {}, 'Phone'), h('dd', {}, contact.phone)] : null,
        h('dt', {}, 'Updates by'), h('dd', {}, NOTIFY[contact.notify_by] ?? ''))),
    notificationsPanel(booking.notifications),
    actions.length ? h('div', { class: 'actions' }, actions) : '',
  );
  document.title = `Booking ${booking.reference} · Harbour View Hotel`;
  return title;
}

async function fetchBooking() {
  return api(`/bookings/${encodeURIComponent(reference)}`, { auth: true });
}

/** Shows the refund a cancellation would give now (fresh from the API), then asks. */
async function openCancel(event) {
  const button = event.currentTarget;
  if (button.getAttribute('aria-busy') === 'true') return;
  button.setAttribute('aria-busy', 'true');
  button.disabled = true;
  try {
    const booking = await fetchBooking();
    if (booking.state !== 'confirmed' || booking.cancellation?.status !== 'open') {
      const text = booking.cancellation?.status === 'closed' ? booking.cancellation.message : `It is now: ${stateLabel(booking.state)}.`;
      render(booking, notice('info', { title: 'This booking can no longer be cancelled', text }));
      return;
    }
    $('#cancel-preview').replaceChildren(
      h('p', {}, `${roomNames.get(booking.room_type) ?? booking.room_type}, ${day(booking.check_in)} – ${day(booking.check_out)} (${booking.reference}).`),
      h('p', { class: 'notice info', id: 'refund-preview' }, refundText(booking.cancellation)),
      h('p', {}, 'Cancelling cannot be undone.'),
    );
    dialog.returnValue = '';
    dialog.showModal();
    $('#cancel-keep').focus();
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'cancel') doCancel(booking);
      else $('#cancel')?.focus();
    }, { once: true });
  } catch (error) {
    showStatus(error);
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = false;
  }
}

async function doCancel(booking) {
  const button = $('#cancel');
  if (button?.getAttribute('aria-busy') === 'true') return;
  button?.setAttribute('aria-busy', 'true');
  if (button) button.disabled = true;
  try {
    const cancelled = await api(`/bookings/${encodeURIComponent(booking.reference)}/cancel`, { method: 'POST', body: {}, auth: true });
    const settled = cancelled.money?.status === 'settled';
    const text = booking.state === 'held'
      ? 'The room was released. Nothing was charged.'
      : !(cancelled.refund?.minor > 0)
        ? 'No refund is due under the cancellation policy.'
        : settled
          ? `${money(cancelled.refund)} is on its way back to your card; banks usually show it within 5 to 10 working days. We are sending you a confirmation.`
          : `Your refund of ${money(cancelled.refund)} is being processed. We will send you a confirmation as soon as it has gone out; you do not need to do anything.`;
    const title = render(cancelled, notice('ok', { title: booking.state === 'held' ? 'Room released' : 'Booking cancelled', text }));
    focusOn(title.parentElement.querySelector('.notice') ?? title);
  } catch (error) {
    showStatus(error);
    if (button) {
      button.removeAttribute('aria-busy');
      button.disabled = false;
    }
  }
}

function showStatus(error) {
  const box = notice('error', explain(error), { onRetry: () => location.reload() });
  const old = content.querySelector('.notice');
  if (old) old.replaceWith(box);
  else content.querySelector('h1')?.after(box);
  focusOn(box);
}

async function load() {
  if (!reference) {
    content.replaceChildren(notice('error', { title: 'No booking given', text: 'Open a booking from My bookings.' }));
    return;
  }
  if (!currentUser()) {
    content.replaceChildren(h('h1', {}, 'Your booking'), signInPanel('to see your booking', location.pathname + location.search));
    return;
  }
  try {
    const [booking, { rooms }] = await Promise.all([fetchBooking(), api('/rooms')]);
    roomNames = new Map(rooms.map((r) => [r.id, r.name]));
    render(booking);
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
