/**
 * Baking in the browser: the award page makes its baked badges from the badge's shared image
 * and the award's hosted JSON, so the site stores no image per award. The output is byte
 * for byte what badgepages/baking.py bake_png and bake_svg give for the same inputs (the
 * tests compare them), and unbake.js reads it back.
 *
 * Spec: Open Badges Baking 1.0 (OB 2.0: iTXt keyword "openbadges", SVG element
 * <openbadges:assertion verify="…">) and OB 3.0 §5.3 "Baked Badge" (iTXt keyword
 * "openbadgecredential", SVG element <openbadges:credential>).
 *
 * The baked text is given as bytes (the hosted file as it was fetched) and inserted as it
 * is, never re-serialised: unbaking gives the hosted document byte for byte.
 */

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
export const OB2_KEYWORD = 'openbadges';
export const OB3_KEYWORD = 'openbadgecredential';
export const OB2_SVG_NAMESPACE = 'http://openbadges.org';
export const OB3_SVG_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';

/** An image that cannot carry a badge. */
export class BakingError extends Error {
  /** @param {string} message - What is wrong with the image. */
  constructor(message) {
    super(message);
    this.name = 'BakingError';
  }
}

/** CRC-32 of ISO 3309 / ITU-T V.42, as PNG chunks use it (PNG §5.5), one entry per byte. */
const CRC_TABLE = Uint32Array.from({length: 256}, (_, byte) => {
  let crc = byte;
  for(let bit = 0; bit < 8; bit++) {
    crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return crc;
});

/**
 * Return the CRC-32 of byte arrays taken one after the other.
 *
 * @param {...Uint8Array} parts - The bytes.
 * @returns {number} The CRC, unsigned.
 */
function crc32(...parts) {
  let crc = 0xffffffff;
  for(const part of parts) {
    for(const byte of part) {
      crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Return byte arrays joined.
 *
 * @param {Uint8Array[]} parts - The bytes.
 * @returns {Uint8Array} One array.
 */
function concat(parts) {
  const result = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for(const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/**
 * Return one PNG chunk: length, type, data, CRC of type and data (PNG §5.3).
 *
 * @param {Uint8Array} kind - The four type bytes.
 * @param {Uint8Array} data - The data.
 * @returns {Uint8Array} The chunk.
 */
function chunk(kind, data) {
  const length = new Uint8Array(4);
  const crc = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, data.length);
  new DataView(crc.buffer).setUint32(0, crc32(kind, data));
  return concat([length, kind, data, crc]);
}

/** PNG §5.3: a chunk's length "is restricted to 2^31-1 bytes". */
const MAX_CHUNK_LENGTH = 2 ** 31 - 1;

/**
 * Return a chunk type as baking.py's errors name it: its letters, or else Python's repr().
 *
 * @param {Uint8Array} kind - The four type bytes.
 * @returns {string} The name.
 */
function chunkName(kind) {
  const text = String.fromCharCode(...kind);
  if(/^[A-Za-z]+$/.test(text)) {
    return text;
  }
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escapes = {
    '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', [quote]: `\\${quote}`,
  };
  const shown = Array.from(text, c => escapes[c] ?? (c >= ' ' && c < '\x7f' ? c :
    `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return `b${quote}${shown.join('')}${quote}`;
}

/**
 * Return a PNG's chunks as [type, data] pairs (PNG §5.3 chunk layout).
 *
 * @param {Uint8Array} png - The PNG.
 * @returns {[string, Uint8Array, Uint8Array][]} Type as text, type bytes, data.
 * @throws {BakingError} When it is not a PNG file, or one cut short.
 */
function chunks(png) {
  if(png.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => png[i] !== b)) {
    throw new BakingError('not a PNG file');
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const found = [];
  let offset = PNG_SIGNATURE.length;
  while(offset < png.length) {
    if(offset + 12 > png.length) {
      throw new BakingError(`the PNG is cut short inside a chunk header (byte ${offset})`);
    }
    const length = view.getUint32(offset);
    const kind = png.subarray(offset + 4, offset + 8);
    if(length > MAX_CHUNK_LENGTH || offset + 12 + length > png.length) {
      throw new BakingError(`the PNG is cut short inside its ${chunkName(kind)} chunk`);
    }
    const end = offset + 8 + length;
    found.push([String.fromCharCode(...kind), kind, png.subarray(offset + 8, end)]);
    offset = end + 4;
  }
  return found;
}

/**
 * Tell whether bytes start with a prefix.
 *
 * @param {Uint8Array} bytes - The bytes.
 * @param {Uint8Array} prefix - The prefix.
 * @returns {boolean} Whether they do.
 */
function startsWith(bytes, prefix) {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * Return the PNG with one iTXt chunk `keyword` holding `text`, right after IHDR.
 *
 * Any chunk already baked with the same keyword is removed (Baking 1.0: it "MUST NOT appear
 * more than once"); the image data is copied byte for byte.
 *
 * @param {Uint8Array} png - The badge image.
 * @param {string} keyword - OB2_KEYWORD or OB3_KEYWORD.
 * @param {Uint8Array} text - The hosted JSON's bytes (UTF-8).
 * @returns {Uint8Array} The baked PNG.
 * @throws {BakingError} When the image is not a PNG that starts with IHDR.
 */
export function bakePng(png, keyword, text) {
  const all = chunks(png);
  if(!all.length || all[0][0] !== 'IHDR') {
    throw new BakingError('PNG does not start with IHDR');
  }
  const encoder = new TextEncoder();
  const prefix = encoder.encode(`${keyword}\0`);
  // Keyword NUL, compression flag 0 and method 0 (compression MUST NOT be used), empty
  // language tag NUL, empty translated keyword NUL, then the UTF-8 text.
  const itxt = concat([prefix, Uint8Array.of(0, 0, 0, 0), text]);
  const kept = all.slice(1).filter(([name, , data]) =>
    !((name === 'iTXt' || name === 'tEXt') && startsWith(data, prefix)));
  return concat([
    PNG_SIGNATURE,
    chunk(all[0][1], all[0][2]),
    chunk(encoder.encode('iTXt'), itxt),
    ...kept.map(([, kind, data]) => chunk(kind, data)),
  ]);
}

/**
 * Return the text in CDATA sections: a "]]>" inside it is split across two sections
 * (XML 1.0 §2.7), which every XML reader joins back into the same text.
 *
 * @param {Uint8Array} text - UTF-8 text.
 * @returns {Uint8Array[]} The sections, one after the other.
 */
function cdata(text) {
  const encoder = new TextEncoder();
  const parts = [encoder.encode('<![CDATA[')];
  let start = 0;
  for(let i = 0; i + 2 < text.length; i++) {
    if(text[i] === 0x5d && text[i + 1] === 0x5d && text[i + 2] === 0x3e) {
      parts.push(text.subarray(start, i + 2), encoder.encode(']]><![CDATA['));
      start = i + 2;
    }
  }
  parts.push(text.subarray(start), encoder.encode(']]>'));
  return parts;
}

/**
 * Return a text as an XML attribute value (between double quotes).
 *
 * @param {string} value - The text.
 * @returns {string} The escaped text.
 */
function xmlAttribute(value) {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * Return the SVG with <openbadges:ELEMENT> holding `text` right after the <svg> tag, whose
 * openbadges namespace is declared if it is not yet.
 *
 * @param {Uint8Array} svg - The badge image.
 * @param {string} element - "assertion" (OB 2.0) or "credential" (OB 3.0).
 * @param {string} namespace - OB2_SVG_NAMESPACE or OB3_SVG_NAMESPACE.
 * @param {Uint8Array} text - The hosted JSON's bytes (UTF-8).
 * @param {string|null} verify - The hosted assertion's URL (OB 2.0), or null.
 * @returns {Uint8Array} The baked SVG.
 * @throws {BakingError} When there is no <svg> element.
 */
export function bakeSvg(svg, element, namespace, text, verify) {
  // One character per byte, so that indexes are byte offsets (the markup searched is ASCII).
  let source = '';
  for(let i = 0; i < svg.length; i += 8192) {
    source += String.fromCharCode(...svg.subarray(i, i + 8192));
  }
  const match = /<svg\b[^>]*>/.exec(source);
  if(!match) {
    throw new BakingError('no <svg> element');
  }
  let open = match[0];
  if(!open.includes('xmlns:openbadges=')) {
    const closing = open.endsWith('/>') ? 2 : 1;
    open = `${open.slice(0, -closing)} xmlns:openbadges="${namespace}"${open.slice(-closing)}`;
  }
  const encoder = new TextEncoder();
  const attribute = verify ? ` verify="${xmlAttribute(verify)}"` : '';
  return concat([
    svg.subarray(0, match.index),
    // The tag is the source's own bytes (one per character) plus an ASCII attribute.
    Uint8Array.from(open, character => character.charCodeAt(0)),
    encoder.encode(`<openbadges:${element}${attribute}>`),
    ...cdata(text),
    encoder.encode(`</openbadges:${element}>`),
    svg.subarray(match.index + match[0].length),
  ]);
}
