// The dates-and-guests form on the landing and search pages: no past dates, check-out after check-in, at most
// MAX_NIGHTS nights, bookings open MAX_ADVANCE_DAYS ahead (the API re-checks every rule per room type).
import { $, addDays, isoDate, nightsBetween } from './core.js';

export const MAX_NIGHTS = 30;
const MAX_ADVANCE_DAYS = 365;
const MAX_GUESTS = 20;

/** The search in a URL query, if it is complete and sane; otherwise null. */
export function readSearch(query) {
  const checkIn = query.get('check_in') ?? '';
  const checkOut = query.get('check_out') ?? '';
  const guests = Number(query.get('guests') ?? '');
  const iso = /^\d{4}-\d{2}-\d{2}$/;
  if (!iso.test(checkIn) || !iso.test(checkOut) || !Number.isInteger(guests)) return null;
  return { checkIn, checkOut, guests };
}

export function searchQuery({ checkIn, checkOut, guests }) {
  return new URLSearchParams({ check_in: checkIn, check_out: checkOut, guests: String(guests) }).toString();
}

/** What is wrong with a search, in plain words, or '' when it can be sent. */
export function problemWith({ checkIn, checkOut, guests }, today = isoDate(new Date())) {
  if (!checkIn || !checkOut) return 'Choose your check-in and check-out dates.';
  if (checkIn < today) return 'Check-in cannot be in the past.';
  if (checkIn > addDays(today, MAX_ADVANCE_DAYS)) return `We take bookings up to ${MAX_ADVANCE_DAYS} days ahead.`;
  const nights = nightsBetween(checkIn, checkOut);
  if (nights < 1) return 'Check-out must be at least one day after check-in.';
  if (nights > MAX_NIGHTS) return `A stay can be at most ${MAX_NIGHTS} nights. For longer stays, please call us.`;
  if (!Number.isInteger(guests) || guests < 1) return 'Enter the number of guests (at least 1).';
  if (guests > MAX_GUESTS) return `We can book at most ${MAX_GUESTS} guests online. For groups, please call us.`;
  return '';
}

/**
 * Wires the form: date limits that follow each other, defaults (tomorrow, two nights), and validation before
 * submit. `onSearch` (optional) handles a valid search instead of the normal form navigation.
 */
export function setUpSearchForm(form, initial, onSearch) {
  const checkIn = $('#check_in', form);
  const checkOut = $('#check_out', form);
  const guests = $('#guests', form);
  const error = $('#search-error', form);
  const today = isoDate(new Date());
  checkIn.min = today;
  checkIn.max = addDays(today, MAX_ADVANCE_DAYS);
  checkIn.value = initial?.checkIn ?? addDays(today, 1);
  checkOut.value = initial?.checkOut ?? addDays(checkIn.value, 2);
  if (initial?.guests) guests.value = String(initial.guests);

  const limitCheckOut = () => {
    if (!checkIn.value) return;
    checkOut.min = addDays(checkIn.value, 1);
    checkOut.max = addDays(checkIn.value, MAX_NIGHTS);
    if (!checkOut.value || checkOut.value <= checkIn.value) checkOut.value = addDays(checkIn.value, 1);
    else if (checkOut.value > checkOut.max) checkOut.value = checkOut.max;
  };
  limitCheckOut();
  checkIn.addEventListener('change', limitCheckOut);

  const clear = () => {
    error.hidden = true;
    error.textContent = '';
    for (const input of [checkIn, checkOut, guests]) input.removeAttribute('aria-invalid');
  };
  for (const input of [checkIn, checkOut, guests]) input.addEventListener('input', clear);

  form.addEventListener('submit', (event) => {
    const search = { checkIn: checkIn.value, checkOut: checkOut.value, guests: Number(guests.value) };
    const problem = problemWith(search, today);
    if (problem) {
      event.preventDefault();
      error.textContent = problem;
      error.hidden = false;
      const bad = /guest/i.test(problem) ? guests : /check-out|nights/i.test(problem) ? checkOut : checkIn;
      bad.setAttribute('aria-invalid', 'true');
      bad.setAttribute('aria-describedby', 'search-error');
      bad.focus();
      return;
    }
    if (onSearch) {
      event.preventDefault();
      onSearch(search);
    }
  });
}
