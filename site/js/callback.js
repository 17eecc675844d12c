// The identity provider's redirect target: checks state, redeems the code with the PKCE verifier, then returns the
// guest to the page where sign-in started.
import { $, completeSignIn, focusOn, h, notice, signIn } from './core.js';

try {
  const returnTo = await completeSignIn(new URLSearchParams(location.search));
  location.replace(returnTo);
} catch (error) {
  $('#title').textContent = 'Sign-in did not finish';
  const reason = error.kind === 'network'
    ? 'We could not reach the sign-in service. Check your connection.'
    : error.code === 'signin_refused'
      ? `The sign-in service said: ${error.message}.`
      : error.message || 'The sign-in could not be completed.';
  const box = notice('error', { title: 'Please sign in again', text: `${reason} Nothing was booked or charged.` });
  box.append(h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'button small', onclick: () => signIn({ returnTo: '/' }) }, 'Sign in again'),
    h('a', { class: 'button small secondary', href: '/' }, 'Back to the home page')));
  $('#content').replaceChildren(box);
  history.replaceState(null, '', '/callback.html');
  focusOn($('#title'));
}
