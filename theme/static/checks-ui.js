/**
 * Showing a verification report: the verdict box (text, icon and colour together, never
 * colour alone) and one line per check, in the page's language.
 *
 * Texts come from theme/strings.yaml through the file the build writes for each language
 * (static/strings.<lang>.json, named by the page's <html data-strings>), shared by every
 * page, so translators edit one file and no inline script is needed (a strict
 * Content-Security-Policy works).
 */
import {FAILED, PASSED} from './verifier.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The order checks are listed in, whatever order they finished in. */
const ORDER = ['format', 'issuer', 'hosted assertion', 'signature', 'revocation',
  'validity dates'];

/**
 * Icon drawings (white on the coloured disc), by verdict or check outcome.
 * Each entry: [element, attributes] pairs.
 */
const ICONS = {
  valid: [['path', {d: 'M13 25 L21 33 L36 16', 'stroke-width': 5}]],
  expired: [
    ['circle', {cx: 24, cy: 24, r: 13, 'stroke-width': 4}],
    ['path', {d: 'M24 16 V24 L30 28', 'stroke-width': 4}],
  ],
  revoked: [['path', {d: 'M16 16 L32 32 M32 16 L16 32', 'stroke-width': 5}]],
  invalid: [['path', {d: 'M16 16 L32 32 M32 16 L16 32', 'stroke-width': 5}]],
  unverified: [
    ['path', {d: 'M18 18 A6 6 0 1 1 27 23.5 C25 25 24 26 24 29', 'stroke-width': 4.5}],
    ['circle', {cx: 24, cy: 36, r: 1.2, 'stroke-width': 4.5}],
  ],
};
ICONS[PASSED] = ICONS.valid;
ICONS[FAILED] = ICONS.invalid;
ICONS['could not check'] = ICONS.unverified;

/** The site's texts, once asked for (every script of the page shares one read). */
let texts = null;

/**
 * Read the site's texts in the page's language.
 *
 * @returns {Promise<Object<string, string>>} Texts by key; rejected when they cannot be
 *   read: the page then keeps what its HTML says.
 */
export function loadStrings() {
  texts ??= (async() => {
    const address = document.documentElement.dataset.strings;
    if(!address) {
      throw new Error('the page names no strings file (<html data-strings>)');
    }
    const response = await fetch(new URL(address, document.baseURI));
    if(!response.ok) {
      throw new Error(`${response.url}: HTTP ${response.status}`);
    }
    return response.json();
  })();
  return texts;
}

/**
 * Return a text with its {placeholders} replaced.
 *
 * @param {Object<string, string>} strings - Texts by key.
 * @param {string} key - The key.
 * @param {object} [values] - Placeholder values.
 * @returns {string} The text (the key itself when missing, so gaps show in tests).
 */
export function text(strings, key, values = {}) {
  const template = strings[key];
  if(template === undefined) {
    return key;
  }
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    values[name] === undefined ? whole : String(values[name]));
}

/**
 * Format a date as the site's pages do ("30 June 2025", "1er janvier 2027").
 *
 * @param {string|Date} value - An ISO date-time or a Date.
 * @param {string} lang - The page language.
 * @returns {string} The date in words (the value itself when unreadable).
 */
export function formatDate(value, lang) {
  const day = value instanceof Date ? value : new Date(value);
  if(Number.isNaN(day.getTime())) {
    return String(value);
  }
  const words = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : lang, {
    day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
  }).format(day);
  return lang === 'fr' ? words.replace(/^1 /, '1er ') : words;
}

/**
 * Format the moment of a check, in the reader's time zone.
 *
 * @param {Date} now - The moment.
 * @param {string} lang - The page language.
 * @returns {string} Date and time.
 */
export function formatMoment(now, lang) {
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : lang, {
    dateStyle: 'long', timeStyle: 'short',
  }).format(now);
}

/**
 * Replace the drawing of an icon (an <svg> with a coloured disc).
 *
 * @param {SVGElement} svg - The icon.
 * @param {string} name - A verdict or check outcome.
 */
export function drawIcon(svg, name) {
  svg.replaceChildren();
  const disc = document.createElementNS(SVG, 'circle');
  for(const [attribute, value] of Object.entries({cx: 24, cy: 24, r: 22, fill: 'currentColor'})) {
    disc.setAttribute(attribute, value);
  }
  svg.append(disc);
  for(const [tag, attributes] of ICONS[name] || ICONS.unverified) {
    const element = document.createElementNS(SVG, tag);
    const all = {fill: 'none', stroke: '#fff', 'stroke-linecap': 'round',
      'stroke-linejoin': 'round', ...attributes};
    for(const [attribute, value] of Object.entries(all)) {
      element.setAttribute(attribute, value);
    }
    svg.append(element);
  }
}

/**
 * Create a small decorative icon.
 *
 * @param {string} name - A verdict or check outcome.
 * @param {string} className - Its class.
 * @returns {SVGElement} The icon (hidden from assistive technology: the text says it all).
 */
export function icon(name, className) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 48 48');
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  drawIcon(svg, name);
  return svg;
}

/**
 * Return the title of a verdict.
 *
 * @param {Object<string, string>} strings - Texts.
 * @param {string} verdict - valid, revoked, expired, invalid or unverified.
 * @returns {string} The title.
 */
export function verdictTitle(strings, verdict) {
  const key = {valid: 'status_valid', expired: 'status_expired', revoked: 'status_revoked'};
  return text(strings, key[verdict] || 'status_not_verified');
}

/**
 * Return the one-sentence explanation of a verdict.
 *
 * @param {Object<string, string>} strings - Texts.
 * @param {import('./verifier.js').Report} report - The report.
 * @param {string} lang - Page language.
 * @returns {string} The explanation.
 */
export function verdictDetail(strings, report, lang) {
  const dates = report.checks.find(c => c.name === 'validity dates');
  switch(report.verdict) {
    case 'valid':
      return report.summary.validUntil ?
        text(strings, 'status_valid_until', {date: formatDate(report.summary.validUntil, lang)}) :
        text(strings, 'status_valid_detail');
    case 'expired':
      return dates && dates.reason === 'not-yet-valid' ?
        text(strings, 'live_not_yet_valid_detail', {date: formatDate(dates.values.date, lang)}) :
        text(strings, 'status_expired_detail', {date: formatDate(dates.values.date, lang)});
    case 'revoked':
      return text(strings, 'live_revoked_detail');
    case 'invalid':
      return text(strings, 'live_invalid_detail');
    default:
      return text(strings, report.foreign ? 'live_other_issuer_detail' : 'live_unverified_plain');
  }
}

/**
 * Return the sentence of one check.
 *
 * @param {Object<string, string>} strings - Texts.
 * @param {{name: string, outcome: string, reason: string, values: object}} check - A check.
 * @param {string} lang - Page language.
 * @returns {{label: string, outcome: string, detail: string}} Its parts.
 */
export function describeCheck(strings, check, lang) {
  const values = {...check.values};
  if(values.date) {
    values.date = formatDate(values.date, lang);
  }
  const slug = value => value.replace(/[^a-z0-9]+/g, '_');
  const outcome = check.outcome === PASSED ? 'passed' :
    check.outcome === FAILED ? 'failed' : 'unchecked';
  return {
    label: text(strings, `live_check_${slug(check.name)}`),
    outcome: text(strings, `live_outcome_${outcome}`),
    detail: text(strings, `live_reason_${slug(check.reason)}`, values),
  };
}

/**
 * Fill a list with one line per check, in a fixed order.
 *
 * @param {HTMLUListElement} list - The list.
 * @param {Object<string, string>} strings - Texts.
 * @param {import('./verifier.js').Report} report - The report.
 * @param {string} lang - Page language.
 */
export function renderChecks(list, strings, report, lang) {
  const checks = [...report.checks].sort(
    (a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
  list.replaceChildren(...checks
    // A passed format check says nothing a recruiter needs.
    .filter(check => !(check.name === 'format' && check.outcome === PASSED))
    .map(check => {
      const parts = describeCheck(strings, check, lang);
      const item = document.createElement('li');
      const slug = check.outcome === PASSED ? 'passed' :
        check.outcome === FAILED ? 'failed' : 'unchecked';
      item.className = `check check--${slug}`;
      item.dataset.check = check.name;
      item.dataset.outcome = check.outcome;
      if(check.values.detail) {
        // Technical detail for whoever opens the developer tools (and the tests).
        item.dataset.detail = check.values.detail;
      }
      const label = document.createElement('strong');
      // French typography: a non-breaking space before the colon.
      label.textContent = parts.label + (lang === 'fr' ? '\u00a0: ' : ': ');
      const outcomeText = document.createElement('span');
      outcomeText.className = 'check__outcome';
      outcomeText.textContent = parts.outcome;
      item.append(icon(check.outcome, 'check__icon'), label, outcomeText,
        document.createTextNode(` — ${parts.detail}`));
      return item;
    }));
}
