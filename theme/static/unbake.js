/**
 * Reading the badge out of a file, as badgepages/verify.py extract() does: a baked PNG
 * (iTXt "openbadgecredential", then "openbadges"), a baked SVG (<openbadges:credential>,
 * then <openbadges:assertion>, JSON in CDATA) or a JSON file. The OB 3.0 credential is
 * preferred when an image carries both.
 *
 * Everything happens in memory: the file never leaves the browser.
 */

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const OB3_KEYWORD = 'openbadgecredential';
const OB2_KEYWORD = 'openbadges';
const OB3_SVG_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';
const OB2_SVG_NAMESPACE = 'http://openbadges.org';

/** The file holds no badge; `reason` is a code the page translates. */
export class NotABadgeError extends Error {
  /** @param {string} reason - "no-baked-badge", "compressed", "not-json" or "not-object". */
  constructor(reason) {
    super(reason);
    this.name = 'NotABadgeError';
    this.reason = reason;
  }
}

/**
 * Return the text baked under `keyword` in a PNG, or null.
 *
 * @param {Uint8Array} png - The PNG bytes.
 * @param {string} keyword - The iTXt keyword.
 * @returns {string|null} The baked text.
 */
function unbakePng(png, keyword) {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const prefix = new TextEncoder().encode(keyword + '\0');
  let offset = PNG_SIGNATURE.length;
  while(offset + 8 <= png.length) {
    const length = view.getUint32(offset);
    const kind = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    if(kind === 'iTXt' && prefix.every((b, i) => data[i] === b)) {
      const rest = data.subarray(prefix.length);
      if(rest[0] !== 0) {
        throw new NotABadgeError('compressed');
      }
      // Compression flag and method, language tag NUL, translated keyword NUL, text.
      const languageEnd = rest.indexOf(0, 2);
      const translatedEnd = rest.indexOf(0, languageEnd + 1);
      return new TextDecoder().decode(rest.subarray(translatedEnd + 1));
    }
    if(kind === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  return null;
}

/**
 * Return the JSON baked in an SVG (OB 3.0 credential first), or null. DOMParser builds an
 * inert document: nothing in the SVG runs or loads.
 *
 * @param {string} text - The SVG source.
 * @returns {string|null} The baked text.
 */
function unbakeSvg(text) {
  const svg = new DOMParser().parseFromString(text, 'image/svg+xml');
  for(const [namespace, name] of
    [[OB3_SVG_NAMESPACE, 'credential'], [OB2_SVG_NAMESPACE, 'assertion']]) {
    const element = svg.getElementsByTagNameNS(namespace, name)[0];
    if(element && element.textContent.trim()) {
      return element.textContent;
    }
  }
  return null;
}

/**
 * Return the badge document in a file's bytes.
 *
 * @param {Uint8Array} bytes - The file.
 * @returns {{document: object, source: string}} The document and where it was found
 *   ("png", "svg" or "json").
 * @throws {NotABadgeError} When there is no badge.
 */
export function extract(bytes) {
  let text;
  let source;
  if(PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    source = 'png';
    text = unbakePng(bytes, OB3_KEYWORD) ?? unbakePng(bytes, OB2_KEYWORD);
  } else {
    const decoded = new TextDecoder().decode(bytes);
    if(decoded.slice(0, 2048).includes('<svg')) {
      source = 'svg';
      text = unbakeSvg(decoded);
    } else {
      source = 'json';
      text = decoded;
    }
  }
  if(!text) {
    throw new NotABadgeError('no-baked-badge');
  }
  let document;
  try {
    document = JSON.parse(text);
  } catch(error) {
    throw new NotABadgeError('not-json');
  }
  if(!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new NotABadgeError('not-object');
  }
  return {document, source};
}
