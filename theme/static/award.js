/**
 * The award page, checked live: a recruiter may open it years after the build, so the
 * status printed in the HTML ("as of <build day>") is replaced by what the browser checks
 * now: the issuer's signature on the credential beside the page, its bit in the issuer's
 * signed status list, and its dates against today. Anything that cannot be checked gives
 * "Badge not verified" with the reason, never a green "Valid".
 *
 * Also runs "Is this the candidate?": the typed email is hashed with the award's salt and
 * compared with the hash in the credential, in the browser; nothing is sent; and the share
 * section (share.js): the QR code and the baked badges, made in the browser.
 *
 * Without JavaScript (or if this module or the site's texts fail to load) the page keeps its
 * build-day status.
 */
import {
  describeCheck, drawIcon, formatMoment, loadStrings, renderChecks, text,
  verdictDetail, verdictTitle,
} from './checks-ui.js';
import {startShare} from './share.js';
import {Report, Site, UNCHECKED, Verifier, fetchJson, identityHash} from './verifier.js';

const lang = document.documentElement.lang || 'en';

/**
 * Read the credential beside the page, verify it, show the verdict.
 *
 * @param {HTMLElement} box - The status section (data-live-check).
 * @param {Object<string, string>} strings - The site's texts.
 * @param {Promise<object>} reading - The credential, being read.
 * @returns {Promise<{credential: object|null, verdict: string}>} The credential (null if
 *   unreadable) and the verdict, for the email check.
 */
async function liveCheck(box, strings, reading) {
  const title = box.querySelector('.status__title');
  const dateLine = box.querySelector('.status__date');
  const detail = box.querySelector('.status__detail');
  const list = box.querySelector('[data-live-checks]');
  const announce = document.querySelector('[data-live-announce]');
  const staticTitle = title.textContent.trim();
  const site = new Site({
    root: box.dataset.siteRoot, bases: [box.dataset.baseUrl, box.dataset.publicBaseUrl],
  });
  const now = new Date();
  box.setAttribute('aria-busy', 'true');
  const checking = document.createElement('span');
  checking.className = 'status__checking';
  checking.textContent = ` ${text(strings, 'live_checking')}`;
  dateLine.append(checking);

  let credential = null;
  let report;
  try {
    credential = await reading;
    report = await new Verifier({site, now}).verify(credential);
  } catch(error) {
    report = new Report('ob3');
    const reason = error.reason === 'fetch' ? 'credential-unreadable' : error.reason || 'error';
    report.add('signature', UNCHECKED, reason, {detail: error.message});
    report.add('revocation', UNCHECKED, reason, {detail: error.message});
    console.warn('live check:', error);
  }

  const verdict = report.verdict;
  box.className = `status status--${verdict}`;
  box.dataset.verdict = verdict;
  drawIcon(box.querySelector('.status__icon'), verdict);
  title.textContent = verdictTitle(strings, verdict);
  if(verdict === 'unverified' && !report.foreign) {
    // Say what was true on the build day, clearly labelled as such.
    detail.textContent = text(strings, 'live_unverified_detail', {
      status: text(strings, `status_${box.dataset.status}_short`).toLowerCase(),
    });
  } else {
    detail.textContent = verdictDetail(strings, report, lang);
  }
  dateLine.textContent = text(strings, 'live_checked', {when: formatMoment(now, lang)});
  renderChecks(list, strings, report, lang);
  list.hidden = false;
  box.removeAttribute('aria-busy');
  if(document.title.startsWith(staticTitle)) {
    document.title = title.textContent + document.title.slice(staticTitle.length);
  }
  if(announce) {
    announce.textContent = `${title.textContent}. ${detail.textContent}`;
  }
  for(const check of report.checks) {
    if(check.outcome !== 'passed') {
      const parts = describeCheck(strings, check, lang);
      console.info(`live check: ${parts.label}: ${check.outcome} (${check.reason})`,
        check.values.detail || '');
    }
  }
  return {credential, verdict};
}

/**
 * Return the salted email hashes of a credential (OB 3.0 IdentityObject, emailAddress).
 *
 * @param {object|null} credential - The credential.
 * @returns {{hash: string, salt: string}[]} The identities.
 */
function emailIdentities(credential) {
  const subject = credential && credential.credentialSubject;
  const identifiers = subject && Array.isArray(subject.identifier) ? subject.identifier : [];
  return identifiers
    .filter(i => i && i.identityType === 'emailAddress' && i.hashed === true &&
      typeof i.identityHash === 'string')
    .map(i => ({hash: i.identityHash.toLowerCase(), salt: i.salt || ''}));
}

/**
 * Make the "Is this the candidate?" form in its (empty) section, from the site's texts: only
 * a script can use it, so the page does not carry it.
 *
 * @param {HTMLElement} section - The form's section (data-email-check).
 * @param {Object<string, string>} strings - The site's texts.
 * @returns {{form: HTMLFormElement, input: HTMLInputElement, result: HTMLElement}} Its parts.
 */
function buildEmailCheck(section, strings) {
  const make = (tag, attributes = {}, content = '') => {
    const element = document.createElement(tag);
    for(const [name, value] of Object.entries(attributes)) {
      element.setAttribute(name, value);
    }
    element.textContent = content;
    return element;
  };
  const title = make('h2', {id: 'candidate-title'}, text(strings, 'email_check_title'));
  const intro = make('p', {class: 'candidate__intro'}, text(strings, 'email_check_intro'));
  const form = make('form', {class: 'candidate__form', novalidate: ''});
  const label = make('label', {for: 'candidate-email'}, text(strings, 'email_check_label'));
  const row = make('div', {class: 'candidate__row'});
  // The input has no name: even a broken script cannot send the address anywhere.
  const input = make('input', {
    id: 'candidate-email', class: 'candidate__input', type: 'email', autocomplete: 'off',
    autocapitalize: 'none', spellcheck: 'false', inputmode: 'email',
  });
  const button = make('button', {type: 'submit', class: 'button'},
    text(strings, 'email_check_button'));
  const result = make('p', {class: 'candidate__result', role: 'status', 'aria-live': 'polite'});
  row.append(input, button);
  form.append(label, row, result);
  section.replaceChildren(title, intro, form);
  return {form, input, result};
}

/**
 * Wire the "Is this the candidate?" form to the credential once it is read.
 *
 * @param {HTMLElement} section - The form's section (data-email-check).
 * @param {Promise<{credential: object|null, verdict: string}>} checked - The live check.
 * @param {Object<string, string>} strings - The site's texts.
 */
function emailCheck(section, checked, strings) {
  const {form, input, result} = buildEmailCheck(section, strings);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const email = input.value.trim();
    result.className = 'candidate__result';
    if(!email) {
      result.textContent = text(strings, 'email_check_empty');
      input.focus();
      return;
    }
    const {credential, verdict} = await checked;
    if(verdict === 'invalid') {
      // A hash taken from an altered credential proves nothing about anyone.
      result.textContent = text(strings, 'email_check_invalid');
      return;
    }
    try {
      const identities = emailIdentities(credential);
      if(!identities.length) {
        throw new Error('no email identity in the credential');
      }
      const hashes = await Promise.all(identities.map(i => identityHash(email, i.salt)));
      const match = hashes.some((hash, index) => hash === identities[index].hash);
      result.classList.add(match ? 'candidate__result--match' : 'candidate__result--no-match');
      result.textContent = text(strings, match ? 'email_check_match' : 'email_check_no_match',
        {email: email.toLowerCase()});
    } catch(error) {
      result.textContent = text(strings, 'email_check_unavailable');
      console.warn('email check:', error);
    }
  });
  section.hidden = false;
}

const share = document.querySelector('[data-share]');
if(share) {
  startShare(share);
}
const box = document.querySelector('[data-live-check]');
if(box) {
  // The credential and the texts are read at the same time.
  const reading = fetchJson(new URL(box.dataset.credential, document.baseURI).href, true);
  reading.catch(() => {});  // a failure is reported by the live check
  loadStrings().then(strings => {
    const checked = liveCheck(box, strings, reading).catch(error => {
      console.error('live check failed', error);
      return {credential: null, verdict: 'unverified'};
    });
    const section = document.querySelector('[data-email-check]');
    if(section) {
      emailCheck(section, checked, strings);
    }
  }, error => console.warn('live check: the texts could not be read, so the page keeps ' +
    'its build-day status:', error));
}
