/**
 * The QR code encoder for the award pages: uqr's `encode` (a port of Project Nayuki's QR
 * Code generator, MIT), nothing else of it (its text and SVG renderers are left out).
 * theme/static/qr.js draws the codes from the matrix it returns.
 *
 * Built into theme/static/qr-encode.mjs by js/build.mjs (`make js`).
 */
export {encode} from 'uqr';
