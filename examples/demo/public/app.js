// The demo's sign-in widget: email → code, over the JSON endpoints of mailbox-challenge/http.
// Every answer carries the UI's fields (expiresAt, resendAvailableAt, attemptsRemaining, codeLength,
// codeAlphabet) and, on failure, error.code for the program and error.message for the person.
const root = document.getElementById('auth');
if (root) {
  const purpose = root.dataset.purpose;
  const $ = (id) => document.getElementById(id);
  const emailStep = $('email-step');
  const codeStep = $('code-step');
  const message = $('message');
  const codeInput = $('code');
  const resend = $('resend');
  let cooldownUntil = 0;
  let timer;

  const say = (text, code = '', info = false) => {
    message.textContent = text;
    message.dataset.code = code;
    message.className = info ? 'info' : '';
    message.hidden = !text;
  };

  const tick = () => {
    const left = Math.ceil((cooldownUntil - Date.now()) / 1000);
    resend.disabled = left > 0;
    $('cooldown').textContent = left > 0 ? `You can ask for a new code in ${left} s.` : '';
    if (left <= 0) clearInterval(timer);
  };
  const coolDown = (untilMs) => {
    cooldownUntil = Math.max(cooldownUntil, untilMs ?? 0);
    clearInterval(timer);
    tick();
    if (cooldownUntil > Date.now()) timer = setInterval(tick, 250);
  };

  const showEmail = () => {
    codeStep.hidden = true;
    emailStep.hidden = false;
    $('email').focus();
  };
  const showCode = (a) => {
    emailStep.hidden = true;
    codeStep.hidden = false;
    if (a.email) $('sent-to').textContent = `We sent a code to ${a.email}.`;
    if (a.codeLength) codeInput.maxLength = a.codeLength;
    codeInput.inputMode = a.codeAlphabet === 'base32' ? 'text' : 'numeric';
    if (a.attemptsRemaining != null) {
      $('attempts').textContent =
        `${a.attemptsRemaining} ${a.attemptsRemaining === 1 ? 'try' : 'tries'} left.`;
    }
    if (a.expiresAt) {
      $('expires').textContent = `The code works until ${new Date(a.expiresAt).toLocaleTimeString()}.`;
    }
    coolDown(a.resendAvailableAt);
    codeInput.focus();
  };

  const call = async (path, body) => {
    const response = await fetch(`/auth/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ purpose, ...body }),
    });
    return {
      response,
      answer: await response.json().catch(() => ({
        ok: false,
        error: { code: 'INTERNAL', message: 'Something went wrong. Please try again.' },
      })),
    };
  };

  /** Whether the answer's challenge can still be finished here: a code to type, or a resend to ask for. */
  const isOpen = (a) => a.status === 'pending' || (a.status === 'expired' && a.resendAvailableAt != null);

  /** Shows a failed answer: the message, and the step its state implies. */
  const fail = (answer) => {
    const e = answer.error ?? {};
    if (!isOpen(answer)) showEmail();
    else if (!codeStep.hidden) showCode(answer);
    say(e.message ?? 'Something went wrong.', e.code ?? '');
    if (e.retryAfterSeconds) coolDown(Date.now() + e.retryAfterSeconds * 1000);
  };

  emailStep.addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    const { answer } = await call('start', { email: $('email').value });
    if (answer.ok) showCode(answer);
    else fail(answer);
  });

  codeStep.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { answer } = await call('verify', { code: codeInput.value });
    if (answer.ok) {
      window.location.assign(answer.redirect ?? '/');
      return;
    }
    codeInput.value = '';
    fail(answer);
  });

  resend.addEventListener('click', async () => {
    const { answer } = await call('resend', {});
    if (answer.ok) {
      say('We sent a new code. Only the newest code works.', '', true);
      showCode(answer);
    } else fail(answer);
  });

  $('cancel').addEventListener('click', async () => {
    await call('cancel', {});
    say('');
    showEmail();
  });

  // After a reload: pick up where the person was.
  fetch(`/auth/state?purpose=${encodeURIComponent(purpose)}`, { headers: { accept: 'application/json' } })
    .then((r) => r.json())
    .then((state) => {
      if (state.status === 'pending') showCode(state);
      else if (isOpen(state)) {
        showCode(state);
        say('This code has expired. Ask for a new one.', 'CHALLENGE_EXPIRED');
      } else showEmail();
    })
    .catch(showEmail);
}
