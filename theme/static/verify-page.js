/**
 * The verify-a-badge page: the visitor drops or picks a file; the badge inside it is read
 * (unbake.js) and checked (verifier.js) in the browser, and the result explained in plain
 * words. The file is never uploaded, and the page reads documents from this site only: a
 * badge of another issuer is recognised and pointed to general verifiers.
 *
 * The canonicaliser is loaded only once a file has been given (it is needed only then).
 */
import {
  drawIcon, formatDate, loadStrings, renderChecks, text, verdictDetail, verdictTitle,
} from './checks-ui.js';
import {NotABadgeError, extract} from './unbake.js';
import {Site, Verifier} from './verifier.js';

const lang = document.documentElement.lang || 'en';
const AWARD_PAGE = /\/awards\/([a-z0-9]+)\/(?:credential|assertion)\.json$/;
/** Increases with every file given: a slow check finishing late must not overwrite a newer one. */
let latest = 0;

/**
 * Return the page of this site that shows an award, when the badge is one of ours.
 *
 * @param {string} id - The credential's or assertion's id.
 * @param {Site} site - This site.
 * @param {string} pattern - Relative link to an award page, with AWARD_ID in it.
 * @returns {string|null} The page's address.
 */
function awardPage(id, site, pattern) {
  const match = site.local(id) && String(id).match(AWARD_PAGE);
  return match ? new URL(pattern.replace('AWARD_ID', match[1]), document.baseURI).href : null;
}

/**
 * Show the outcome of one file.
 *
 * @param {HTMLElement} zone - The drop zone (data-verify).
 * @param {File} file - The file.
 * @param {Promise<Object<string, string>>} texts - The site's texts, being read.
 */
async function check(zone, file, texts) {
  const strings = await texts;
  const turn = ++latest;
  const result = document.querySelector('[data-verify-result]');
  const status = result.querySelector('[data-verify-status]');
  const facts = result.querySelector('[data-verify-facts]');
  const award = result.querySelector('[data-verify-award]');
  const other = result.querySelector('[data-verify-other]');
  const fileLine = result.querySelector('[data-verify-file]');
  const announce = document.querySelector('[data-live-announce]');
  for(const element of [status, facts, award, other]) {
    element.hidden = true;
  }
  result.hidden = false;
  result.setAttribute('aria-busy', 'true');
  fileLine.textContent = text(strings, 'verify_reading', {name: file.name});

  let found;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if(turn !== latest) {
      return;
    }
    found = extract(bytes);
  } catch(error) {
    const reason = error instanceof NotABadgeError ? error.reason.replace(/-/g, '_') : 'read';
    fileLine.textContent = `${file.name} — ${text(strings, `verify_error_${reason}`)}`;
    result.removeAttribute('aria-busy');
    announce.textContent = fileLine.textContent;
    return;
  }

  const site = new Site({
    root: zone.dataset.siteRoot, bases: [zone.dataset.baseUrl, zone.dataset.publicBaseUrl],
  });
  const report = await new Verifier({site}).verify(found.document);
  if(turn !== latest) {
    return;
  }
  const kind = {ob3: 'verify_found_ob3', ob2: 'verify_found_ob2'}[report.kind] ||
    'verify_found_unknown';
  fileLine.textContent = text(strings, kind, {name: file.name});

  const verdict = report.verdict;
  status.className = `status status--${verdict}`;
  status.dataset.verdict = verdict;
  drawIcon(status.querySelector('.status__icon'), verdict);
  result.querySelector('[data-verify-title]').textContent = verdictTitle(strings, verdict);
  result.querySelector('[data-verify-detail]').textContent =
    verdictDetail(strings, report, lang);
  renderChecks(result.querySelector('[data-verify-checks]'), strings, report, lang);
  status.hidden = false;

  const summary = report.summary;
  const values = {
    name: summary.name,
    issuer: summary.issuerName || summary.issuer,
    validFrom: summary.validFrom && formatDate(summary.validFrom, lang),
    validUntil: summary.validUntil ? formatDate(summary.validUntil, lang) :
      text(strings, 'no_expiry'),
  };
  for(const [name, value] of Object.entries(values)) {
    const cell = facts.querySelector(`[data-fact="${name}"]`);
    cell.textContent = value || '—';
  }
  facts.hidden = !summary.name && !summary.issuer;

  const page = !report.foreign && awardPage(summary.id, site, zone.dataset.awardPage);
  if(page) {
    award.querySelector('a').href = page;
    award.hidden = false;
  }
  other.hidden = !report.foreign;
  result.removeAttribute('aria-busy');
  announce.textContent = `${verdictTitle(strings, verdict)}. ${verdictDetail(strings, report, lang)}`;
}

/**
 * Wire the drop zone and the file picker.
 *
 * @param {HTMLElement} zone - The drop zone (data-verify).
 * @param {Promise<Object<string, string>>} texts - The site's texts, being read.
 */
function start(zone, texts) {
  const input = zone.querySelector('input[type=file]');
  const run = file => {
    if(file) {
      check(zone, file, texts).catch(error => console.error('verify:', error));
    }
  };
  input.addEventListener('change', () => run(input.files[0]));
  // The whole page accepts the file (a drop next to the zone must not make the browser
  // leave the page to display the file); the zone lights up while a file is over it.
  window.addEventListener('dragover', event => event.preventDefault());
  window.addEventListener('drop', event => {
    event.preventDefault();
    zone.classList.remove('dropzone--over');
    run(event.dataTransfer && event.dataTransfer.files[0]);
  });
  zone.addEventListener('dragover', () => zone.classList.add('dropzone--over'));
  zone.addEventListener('dragleave', () => zone.classList.remove('dropzone--over'));
}

const zone = document.querySelector('[data-verify]');
if(zone) {
  // Ready for a file at once; the texts are awaited when one is given. Without them the
  // drop zone stays hidden, as without JavaScript.
  const texts = loadStrings();
  start(zone, texts);
  texts.then(() => {
    zone.hidden = false;
  }, error => console.warn('verify: the texts could not be read:', error));
}
