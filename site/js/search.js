// Search: the dates-and-guests form, then the room types that fit the party with their total and per-night
// price, or why they cannot be booked (sold-out nights, a rule of the room).
import { $, api, capitalise, day, dayList, focusOn, h, money, notice, plural, showError } from './core.js';
import { breakdownTable } from './price.js';
import { problemWith, readSearch, searchQuery, setUpSearchForm } from './search-form.js';

const results = $('#results');
const message = $('#message');
let roomsById = new Map();
let current = 0;

/** Room types the party fits in: one room each when any type is big enough, else the multi-room options. */
function fitting(rooms, guests) {
  const single = rooms.filter((r) => r.rooms_needed === 1);
  if (single.length) return { shown: single, hidden: rooms.length - single.length };
  const multi = rooms.filter((r) => r.rooms_needed <= 5);
  return { shown: multi, hidden: rooms.length - multi.length, multi: guests };
}

function resultCard(room, search) {
  const info = roomsById.get(room.room_type);
  const nights = room.nights.length;
  const bookHref = `/book.html?${new URLSearchParams({ room: room.room_type, ...Object.fromEntries(new URLSearchParams(searchQuery(search))) })}`;
  const reason = !room.bookable
    ? room.unavailable_reason
      ? capitalise(room.unavailable_reason.message) + '.'
      : room.sold_out_nights.length
        ? `Sold out on ${dayList(room.sold_out_nights)}.`
        : 'Not available for these dates.'
    : '';
  const id = `room-${room.room_type}`;
  return h(
    'article',
    { class: room.bookable ? 'card' : 'card unavailable', 'aria-labelledby': id },
    info?.image ? h('img', { src: info.image, alt: '', width: 320, height: 200, decoding: 'async' }) : null,
    h(
      'div',
      { class: 'body' },
      h('h3', { id }, room.name),
      h('p', { class: 'meta' }, `Sleeps ${room.max_occupancy}${room.rooms_needed > 1 ? ` · you need ${room.rooms_needed} rooms` : ''}`),
      info ? h('p', {}, info.description) : null,
      room.bookable
        ? [
          h('p', { class: 'price' }, `${money(room.total)} total`),
          h('p', { class: 'meta' }, `${plural(nights, 'night')}${room.rooms_needed > 1 ? `, ${room.rooms_needed} rooms` : ''} · taxes included · ${plural(room.available, 'room')} left`),
          h('details', {}, h('summary', {}, 'Price per night'), breakdownTable(room.nights, room.total, `Price per night, ${room.name}`)),
          h('div', { class: 'actions' }, h('a', { class: 'button', href: bookHref, 'aria-describedby': id }, 'Book this room')),
        ]
        : h('p', { class: 'notice info' }, h('strong', {}, 'Not available. '), reason, ' Try other dates.'),
    ),
  );
}

async function run(search) {
  const ticket = ++current;
  const problem = problemWith(search);
  message.hidden = true;
  if (problem) {
    results.hidden = true;
    message.replaceChildren(notice('error', { title: 'Check your search', text: problem }));
    message.hidden = false;
    focusOn(message.firstChild);
    return;
  }
  history.replaceState(null, '', `/search.html?${searchQuery(search)}`);
  const button = $('#search button[type=submit]');
  button.setAttribute('aria-busy', 'true');
  try {
    const [catalogue, view] = await Promise.all([
      roomsById.size ? null : api('/rooms'),
      api(`/availability?${searchQuery(search)}`),
    ]);
    if (ticket !== current) return;
    if (catalogue) roomsById = new Map(catalogue.rooms.map((r) => [r.id, r]));
    const { shown, hidden, multi } = fitting(view.rooms, search.guests);
    const bookable = shown.filter((r) => r.bookable).length;
    shown.sort((a, b) => Number(b.bookable) - Number(a.bookable));
    $('#results-title').textContent = bookable ? `${plural(bookable, 'room type')} available` : 'Nothing available for these dates';
    $('#results-summary').textContent =
      `${day(search.checkIn)} to ${day(search.checkOut)} · ${plural(view.nights, 'night')} · ${plural(search.guests, 'guest')}`;
    $('#results-list').replaceChildren(...shown.map((room) => resultCard(room, search)));
    $('#results-note').textContent = [
      multi ? `No single room sleeps ${multi}, so these options use several rooms.` : '',
      hidden ? `${plural(hidden, 'room type')} not shown: too small for ${plural(search.guests, 'guest')}.` : '',
    ].join(' ').trim();
    results.hidden = false;
    focusOn($('#results-title'));
  } catch (error) {
    if (ticket !== current) return;
    results.hidden = true;
    showError(message, error, () => run(search));
  } finally {
    if (ticket === current) button.removeAttribute('aria-busy');
  }
}

const initial = readSearch(new URLSearchParams(location.search));
setUpSearchForm($('#search'), initial, run);
if (initial) run(initial);
