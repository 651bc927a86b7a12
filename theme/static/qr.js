/**
 * QR codes that lead to award pages, drawn in the browser: an SVG for the page and for
 * download, and a PNG for print. Made from the award page's address, so the site stores no
 * image per award. The encoder is uqr's (qr-encode.mjs, bundled by js/build.mjs).
 *
 * Medium error correction survives a smudged print; the quiet zone is 4 modules wide as
 * ISO/IEC 18004 asks; 20 px per module gives about 5 cm at 300 dpi for a typical code.
 */
import {encode} from './qr-encode.mjs';

const QUIET_ZONE = 4;
const PNG_MODULE_PIXELS = 20;

/**
 * Return the modules of a QR code of `text`, quiet zone included (true is dark).
 *
 * @param {string} text - What the code holds (an address).
 * @returns {boolean[][]} Rows of modules.
 */
export function qrModules(text) {
  // Error correction M exactly: boostEcc false (uqr's default) keeps it from being raised.
  return encode(text, {ecc: 'M', boostEcc: false, border: QUIET_ZONE}).data;
}

/**
 * Return a QR code of `text` as a scalable single-path SVG, one unit per module.
 *
 * @param {string} text - What the code holds.
 * @returns {string} The SVG document.
 */
export function qrSvg(text) {
  const modules = qrModules(text);
  const size = modules.length;
  const runs = [];
  modules.forEach((row, y) => {
    for(let x = 0; x < size; x++) {
      if(row[x]) {
        const start = x;
        while(x < size && row[x]) {
          x++;
        }
        runs.push(`M${start} ${y}h${x - start}v1h-${x - start}z`);
      }
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" ` +
    'shape-rendering="crispEdges" role="img">' +
    `<rect width="${size}" height="${size}" fill="#fff"/>` +
    `<path fill="#000" d="${runs.join('')}"/></svg>\n`;
}

/**
 * Return a QR code of `text` as a black-and-white PNG for print.
 *
 * @param {string} text - What the code holds.
 * @returns {Promise<Blob>} The PNG.
 */
export function qrPng(text) {
  const modules = qrModules(text);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = modules.length * PNG_MODULE_PIXELS;
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000';
  modules.forEach((row, y) => row.forEach((dark, x) => {
    if(dark) {
      context.fillRect(x * PNG_MODULE_PIXELS, y * PNG_MODULE_PIXELS, PNG_MODULE_PIXELS,
        PNG_MODULE_PIXELS);
    }
  }));
  return new Promise((resolve, reject) => canvas.toBlob(
    blob => blob ? resolve(blob) : reject(new Error('the browser could not make a PNG')),
    'image/png'));
}
