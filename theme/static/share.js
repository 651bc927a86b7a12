/**
 * The award page's share section, made in the browser from files the site already has:
 * the QR code of the page (qr.js) and the baked badges (baking.js), made from the badge's
 * shared image and the award's hosted assertion.json and credential.json. The site stores
 * no image per award.
 *
 * Without JavaScript the section shows the page's address instead of the QR code, and links
 * to the badge image and the hosted JSON files. The buttons that make files are added here,
 * to the lists that name them (<ul data-offers="ob2-png ob2-svg">), labelled with the site's
 * texts: pages do not carry what only a script can use. Downloads are Blob object URLs: no
 * inline script, nothing leaves the browser.
 */
import {loadStrings, text} from './checks-ui.js';
import {qrPng, qrSvg} from './qr.js';

/** The baking module, loaded when a baked badge is first asked for. */
const baking = () => import('./baking.js');

/**
 * Return a file of this site as bytes.
 *
 * @param {string} address - Its address, relative to the page.
 * @returns {Promise<Uint8Array>} Its bytes, as served.
 */
async function fetchBytes(address) {
  const response = await fetch(new URL(address, document.baseURI));
  if(!response.ok) {
    throw new Error(`${response.url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The files the buttons make, by their data-make value: the key of the button's text, the
 * file name's ending, and how to make the content from the section's data attributes.
 */
const MAKERS = {
  'ob3-png': ['download_credential_png', 'openbadge-v3.png', async data => {
    const {OB3_KEYWORD, bakePng} = await baking();
    const [png, json] = await Promise.all([data.imagePng, data.credential].map(fetchBytes));
    return new Blob([bakePng(png, OB3_KEYWORD, json)], {type: 'image/png'});
  }],
  'ob3-svg': ['download_credential_svg', 'openbadge-v3.svg', async data => {
    const {OB3_SVG_NAMESPACE, bakeSvg} = await baking();
    const [svg, json] = await Promise.all([data.imageSvg, data.credential].map(fetchBytes));
    return new Blob([bakeSvg(svg, 'credential', OB3_SVG_NAMESPACE, json, null)],
      {type: 'image/svg+xml'});
  }],
  'ob2-png': ['download_baked_png', 'openbadge-v2.png', async data => {
    const {OB2_KEYWORD, bakePng} = await baking();
    const [png, json] = await Promise.all([data.imagePng, data.assertion].map(fetchBytes));
    return new Blob([bakePng(png, OB2_KEYWORD, json)], {type: 'image/png'});
  }],
  'ob2-svg': ['download_baked_svg', 'openbadge-v2.svg', async data => {
    const {OB2_SVG_NAMESPACE, bakeSvg} = await baking();
    const [svg, json] = await Promise.all([data.imageSvg, data.assertion].map(fetchBytes));
    return new Blob([bakeSvg(svg, 'assertion', OB2_SVG_NAMESPACE, json, data.assertionUrl)],
      {type: 'image/svg+xml'});
  }],
  'qr-png': ['download_qr_png', 'qr-code.png', async data => qrPng(data.qrUrl)],
  'qr-svg': ['download_qr_svg', 'qr-code.svg',
    async data => new Blob([qrSvg(data.qrUrl)], {type: 'image/svg+xml'})],
};

/**
 * Hand a file to the browser's downloads.
 *
 * @param {Blob} blob - The content.
 * @param {string} name - The file name.
 */
function save(blob, name) {
  const address = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = address;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by then; the object URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(address), 60_000);
}

/**
 * Draw the QR code of the page in its figure, in place of the address shown without it.
 *
 * @param {HTMLElement} figure - The figure (.qr).
 * @param {string} address - The page's permanent address.
 * @param {string} label - The code's text alternative.
 */
function drawQrCode(figure, address, label) {
  const svg = new DOMParser().parseFromString(qrSvg(address), 'image/svg+xml').documentElement;
  svg.setAttribute('class', 'qr__code');
  svg.setAttribute('aria-label', label);
  figure.prepend(document.importNode(svg, true));
  figure.classList.add('qr--drawn');
  figure.querySelector('figcaption').hidden = false;
}

/**
 * Add the button that makes a file to a list.
 *
 * @param {HTMLUListElement} list - The list.
 * @param {string} kind - What the button makes (a key of MAKERS).
 * @param {DOMStringMap} data - The section's data attributes.
 * @param {Object<string, string>} strings - The site's texts.
 * @param {HTMLElement} status - Where a failure is said.
 */
function offer(list, kind, data, strings, status) {
  const [label, ending, make] = MAKERS[kind];
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'link-button';
  button.dataset.make = kind;
  button.textContent = text(strings, label);
  const item = document.createElement('li');
  item.append(button);
  list.append(item);
  button.addEventListener('click', async() => {
    if(button.getAttribute('aria-busy') === 'true') {
      return;
    }
    button.setAttribute('aria-busy', 'true');
    status.textContent = '';
    try {
      save(await make(data), `${data.fileStem}-${ending}`);
    } catch(error) {
      status.textContent = text(strings, 'download_failed');
      console.warn(`${kind}:`, error);
    } finally {
      button.removeAttribute('aria-busy');
    }
  });
}

/**
 * Draw the QR code and offer the files made in the browser.
 *
 * @param {HTMLElement} section - The share section (data-share).
 */
export function startShare(section) {
  const data = section.dataset;
  const figure = section.querySelector('.qr');
  try {
    drawQrCode(figure, data.qrUrl, data.qrLabel);
  } catch(error) {
    // The address stays shown instead.
    console.warn('QR code:', error);
  }
  const lists = section.querySelectorAll('ul[data-offers]');
  if(!lists.length) {
    return;
  }
  const status = section.querySelector('[data-share-status]');
  loadStrings().then(strings => {
    for(const list of lists) {
      for(const kind of list.dataset.offers.split(' ')) {
        offer(list, kind, data, strings, status);
      }
    }
  }, error => console.warn('share: the texts could not be read, so no file is offered:', error));
}
