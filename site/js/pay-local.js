// The card form for local mode: it confirms the PaymentIntent at the local Stripe-compatible server exactly as
// Stripe.js does (publishable key + client secret, form-encoded, from the browser), so card data never reaches our
// API. Only loaded when config.payments.mode is "local"; in AWS with a real pk_ key, pay-stripe.js is used instead.
import { $, h } from './core.js';

const DECLINES = {
  insufficient_funds: 'The bank says there is not enough money available on this card.',
  expired_card: 'The card has expired.',
  incorrect_cvc: 'The security code (CVC) is not right.',
  processing_error: 'The card could not be processed just now.',
  lost_card: '',
  stolen_card: '',
  generic_decline: '',
  card_declined: '',
};
const FIELD_OF_PARAM = { number: 'card-number', exp_month: 'card-expiry', exp_year: 'card-expiry', cvc: 'card-cvc' };
const FIELD_OF_CODE = {
  incorrect_number: 'card-number', invalid_number: 'card-number',
  invalid_expiry_month: 'card-expiry', invalid_expiry_year: 'card-expiry', expired_card: 'card-expiry',
  invalid_cvc: 'card-cvc', incorrect_cvc: 'card-cvc',
};
const CARD_MESSAGES = {
  'card-number': 'This card number is not valid. Check the 16 digits on the front of your card.',
  'card-expiry': 'Enter the expiry date as MM / YY; it must be in the future.',
  'card-cvc': 'Enter the 3 or 4 digit security code from the back of the card.',
};

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function parseExpiry(text) {
  const m = /^\s*(\d{1,2})\s*(?:\/|-|\s)?\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!m) return null;
  const month = Number(m[1]);
  let year = Number(m[2]);
  if (year < 100) year += 2000;
  if (month < 1 || month > 12) return null;
  const now = new Date();
  if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) return null;
  return { month, year };
}

function input(id, label, attributes, hint) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, 'aria-describedby': `${hint ? `${id}-hint ` : ''}${id}-error`, ...attributes }),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

export function mountCardForm(container, payments) {
  container.replaceChildren(
    h(
      'fieldset',
      {},
      h('legend', {}, 'Card details'),
      input('card-number', 'Card number', { type: 'text', inputmode: 'numeric', autocomplete: 'cc-number', maxlength: 23, required: true, placeholder: '1234 1234 1234 1234' }),
      h(
        'div',
        { class: 'card-row' },
        input('card-expiry', 'Expiry date', { type: 'text', inputmode: 'numeric', autocomplete: 'cc-exp', maxlength: 7, required: true, placeholder: 'MM / YY' }),
        input('card-cvc', 'Security code', { type: 'text', inputmode: 'numeric', autocomplete: 'cc-csc', maxlength: 4, required: true, placeholder: 'CVC' }),
      ),
    ),
    h('p', { class: 'test-cards' },
      'Test payments: no real card is charged. Use 4242 4242 4242 4242 (accepted) or 4000 0000 0000 0002 (declined), any future date and any CVC.'),
  );
  const fields = ['card-number', 'card-expiry', 'card-cvc'].map((id) => $(`#${id}`, container));

  const setError = (id, text) => {
    const el = $(`#${id}`, container);
    const error = $(`#${id}-error`, container);
    if (text) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
    error.textContent = text;
    error.hidden = !text;
  };
  for (const el of fields) el.addEventListener('input', () => setError(el.id, ''));

  const read = () => ({
    number: fields[0].value.replace(/[\s-]/g, ''),
    expiry: parseExpiry(fields[1].value),
    cvc: fields[2].value.trim(),
  });

  const validate = () => {
    const card = read();
    const problems = {
      'card-number': /^\d{12,19}$/.test(card.number) && luhn(card.number) ? '' : CARD_MESSAGES['card-number'],
      'card-expiry': card.expiry ? '' : CARD_MESSAGES['card-expiry'],
      'card-cvc': /^\d{3,4}$/.test(card.cvc) ? '' : CARD_MESSAGES['card-cvc'],
    };
    for (const [id, text] of Object.entries(problems)) setError(id, text);
    const first = fields.find((el) => problems[el.id]);
    first?.focus();
    return !first;
  };

  const endpoint = (payment, suffix = '') => `${payments.apiBase}v1/payment_intents/${encodeURIComponent(payment.intent_id)}${suffix}`;

  /** Where an intent stands, when a confirm got no answer (it may or may not have gone through). */
  const retrieve = async (payment) => {
    const query = new URLSearchParams({ key: payments.publishableKey, client_secret: payment.client_secret });
    const res = await fetch(`${endpoint(payment)}?${query}`);
    return res.ok ? res.json() : null;
  };

  const outcomeOfIntent = (intent) => {
    if (intent && ['requires_capture', 'succeeded', 'processing'].includes(intent.status)) return { ok: true };
    if (intent?.status === 'canceled') return { expired: true };
    return null;
  };

  const confirm = async (payment) => {
    const card = read();
    const body = new URLSearchParams({
      key: payments.publishableKey,
      client_secret: payment.client_secret,
      'payment_method_data[type]': 'card',
      'payment_method_data[card][number]': card.number,
      'payment_method_data[card][exp_month]': String(card.expiry.month),
      'payment_method_data[card][exp_year]': String(card.expiry.year),
      'payment_method_data[card][cvc]': card.cvc,
    });
    let res;
    try {
      res = await fetch(endpoint(payment, '/confirm'), { method: 'POST', body });
    } catch {
      const intent = await retrieve(payment).catch(() => null);
      return outcomeOfIntent(intent) ?? {
        explanation: {
          title: 'We could not reach the payment service',
          text: 'Check your connection and press Pay again. If the payment did go through, you will not be charged twice.',
          retry: true,
        },
      };
    }
    const data = await res.json().catch(() => ({}));
    if (res.ok) return outcomeOfIntent(data) ?? { explanation: null };
    const error = data.error ?? {};
    if (error.code === 'payment_intent_unexpected_state') {
      // Already paid (a second click) or cancelled (the hold ran out or was released).
      return outcomeOfIntent(error.payment_intent) ?? { expired: true };
    }
    if (error.type === 'card_error' && error.payment_intent?.last_payment_error) {
      const reason = DECLINES[error.decline_code] ?? DECLINES[error.code] ?? '';
      return { declined: true, message: reason };
    }
    if (error.type === 'card_error') {
      const id = FIELD_OF_CODE[error.code] ?? FIELD_OF_PARAM[String(error.param ?? '').replace(/^.*\[(\w+)\]$/, '$1')] ?? 'card-number';
      setError(id, CARD_MESSAGES[id]);
      $(`#${id}`, container).focus();
      return { invalid: true };
    }
    return { explanation: null };
  };

  return { validate, confirm, reset: async () => {} };
}
