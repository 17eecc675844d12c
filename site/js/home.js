// The landing page: the search form and the hotel's room types with their "from" prices.
import { $, api, h, money, showError } from './core.js';
import { setUpSearchForm } from './search-form.js';

const BEDS = { single: 'single bed', twin: 'twin beds', double: 'double bed', queen: 'queen bed', king: 'king bed' };

setUpSearchForm($('#search'));

/** One room type as a card; also used by nothing else, so kept here. */
function roomCard(room) {
  return h(
    'article',
    { class: 'card' },
    room.image ? h('img', { src: room.image, alt: '', width: 320, height: 200, decoding: 'async' }) : null,
    h(
      'div',
      { class: 'body' },
      h('h3', {}, room.name),
      h('p', { class: 'meta' }, `Sleeps ${room.max_occupancy} · ${BEDS[room.bed_type] ?? room.bed_type}`),
      h('p', {}, room.description),
      h('ul', { class: 'tags', 'aria-label': 'Amenities' }, room.amenities.map((a) => h('li', {}, a))),
      h('p', { class: 'price' }, `From ${money(room.from_nightly)} `, h('span', { class: 'meta' }, 'a night')),
    ),
  );
}

async function loadRooms() {
  const list = $('#rooms');
  list.setAttribute('aria-busy', 'true');
  try {
    const { rooms } = await api('/rooms');
    list.replaceChildren(...rooms.map(roomCard));
  } catch (error) {
    showError(list, error, loadRooms);
  } finally {
    list.removeAttribute('aria-busy');
  }
}

loadRooms();
