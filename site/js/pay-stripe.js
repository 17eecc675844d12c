// Stripe's Payment Element, used when config.payments.mode is "stripe" (a real pk_test_/pk_live_ key). Stripe.js is
// loaded from js.stripe.com (allowed by the CSP's script-src and frame-src) only on the payment step, so no other
// page pays for it. Card data stays inside Stripe's iframe.
//
// Not exercised by the offline browser tests (js.stripe.com cannot be reached here); the local card form in
// pay-local.js follows the same outcome contract: {ok} | {declined, message} | {expired} | {invalid} | {explanation}.
import { h } from './core.js';

let stripeJs;
function loadStripeJs() {
  stripeJs ??= new Promise((resolve, reject) => {
    if (window.Stripe) {
      resolve(window.Stripe);
      return;
    }
    const script = h('script', { src: 'https://js.stripe.com/v3/', async: true });
    script.addEventListener('load', () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('Stripe.js did not load'))));
    script.addEventListener('error', () => {
      stripeJs = undefined;
      reject(new Error('Stripe.js did not load'));
    });
    document.head.append(script);
  });
  return stripeJs;
}

export async function mountPaymentElement(container, payments, hold) {
  const Stripe = await loadStripeJs();
  const stripe = Stripe(payments.publishableKey);
  const box = h('div', { id: 'payment-element' });
  const errorText = h('p', { class: 'field-error', role: 'alert', hidden: true });
  container.replaceChildren(box, errorText);
  let elements;
  let complete = false;

  const mount = (current) => {
    elements = stripe.elements({
      clientSecret: current.payment.client_secret,
      appearance: { theme: 'stripe', variables: { colorPrimary: '#0b6e69', borderRadius: '6px' } },
    });
    const element = elements.create('payment', { layout: 'tabs' });
    element.on('change', (event) => {
      complete = event.complete;
    });
    element.mount(box);
    hold = current;
  };
  mount(hold);

  const validate = () => {
    errorText.hidden = true;
    if (complete) return true;
    errorText.textContent = 'Fill in your card details to pay.';
    errorText.hidden = false;
    return false;
  };

  const confirm = async () => {
    const ref = encodeURIComponent(hold.booking.reference);
    const { error, paymentIntent } = await stripe.confirmPayment({
      elements,
      redirect: 'if_required',
      confirmParams: { return_url: `${location.origin}/confirmation.html?ref=${ref}` },
    });
    if (!error) {
      if (['requires_capture', 'succeeded', 'processing'].includes(paymentIntent?.status)) return { ok: true };
      return { explanation: null };
    }
    if (error.type === 'validation_error') return { invalid: true };
    if (error.code === 'payment_intent_unexpected_state') {
      const status = error.payment_intent?.status;
      return ['requires_capture', 'succeeded', 'processing'].includes(status) ? { ok: true } : { expired: true };
    }
    if (error.type === 'card_error') return { declined: true, message: error.message ?? '' };
    return {
      explanation: { title: 'Payment did not go through', text: error.message || 'Nothing was charged. Try again.', retry: true },
    };
  };

  return { validate, confirm, reset: async (current) => mount(current) };
}
