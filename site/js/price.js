// The per-night price breakdown (room, VAT, tourist tax), shared by the search results, booking and detail pages.
import { day, h, money } from './core.js';

export function breakdownTable(nights, total, caption = 'Price per night') {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col' }, 'Night'), h('th', { scope: 'col', class: 'num' }, 'Room'),
          h('th', { scope: 'col', class: 'num' }, 'VAT'), h('th', { scope: 'col', class: 'num' }, 'Tourist tax'),
          h('th', { scope: 'col', class: 'num' }, 'Total')),
      ),
      h(
        'tbody',
        {},
        nights.map((n) =>
          h('tr', {}, h('th', { scope: 'row' }, day(n.date, { short: true })), h('td', { class: 'num' }, money(n.room)),
            h('td', { class: 'num' }, money(n.tax)), h('td', { class: 'num' }, money(n.tourist_tax)),
            h('td', { class: 'num' }, money(n.total)))),
      ),
      total
        ? h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: 4 }, 'Total for the stay'), h('td', { class: 'num' }, money(total))))
        : null,
    ),
  );
}
