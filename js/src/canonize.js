/**
 * RDFC-1.0 canonicalisation for the browser, exactly as Digital Bazaar's
 * eddsa-rdfc-2022 cryptosuite does it (lib/canonize.js: jsonld.toRDF in safe mode, base
 * null, rdfDirection i18n-datatype, then rdf-canonize RDFC-1.0 to N-Quads), so that a
 * signature that verifies here verifies in every Digital Bazaar based verifier, and the
 * other way round.
 *
 * The document loader serves ONLY the JSON-LD contexts bundled below (the same files the
 * Python signer uses, badgepages/contexts/) and refuses every other URL: checking a badge
 * never makes a request, and a credential cannot make the page fetch anything.
 *
 * Built into theme/static/jsonld-canonize.mjs by js/build.mjs (`make js`).
 */
import jsonld from 'jsonld';
import * as rdfCanonize from 'rdf-canonize';

import credentialsV2 from '../../badgepages/contexts/credentials-v2-context.json';
import didV1 from '../../badgepages/contexts/did-v1-context.json';
import multikeyV1 from '../../badgepages/contexts/multikey-v1-context.json';
import obV3p0 from '../../badgepages/contexts/ob-v3p0-context-3.0.3.json';
import obV3p0Extensions from '../../badgepages/contexts/ob-v3p0-extensions.json';

/** The contexts a badge may use, by URL (see badgepages/contexts/README.md). */
const CONTEXTS = new Map([
  ['https://www.w3.org/ns/credentials/v2', credentialsV2],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', obV3p0],
  ['https://purl.imsglobal.org/spec/ob/v3p0/extensions.json', obV3p0Extensions],
  ['https://www.w3.org/ns/did/v1', didV1],
  ['https://w3id.org/security/multikey/v1', multikeyV1],
]);

/** URLs of the contexts this module knows; any other context is refused. */
export const CONTEXT_URLS = Object.freeze([...CONTEXTS.keys()]);

/** Raised when a document needs a context that is not bundled. */
export class RefusedContextError extends Error {
  /** @param {string} url - The refused URL. */
  constructor(url) {
    super(`refused to load "${url}": only the bundled JSON-LD contexts are served`);
    this.name = 'RefusedContextError';
    this.url = url;
  }
}

/**
 * Serve a bundled context, refuse anything else (no network, ever).
 *
 * @param {string} url - The URL jsonld.js asks for.
 * @returns {Promise<object>} A jsonld.js RemoteDocument.
 */
async function documentLoader(url) {
  const document = CONTEXTS.get(url);
  if(document === undefined) {
    throw new RefusedContextError(url);
  }
  return {contextUrl: null, documentUrl: url, document};
}

/**
 * Canonicalise a JSON-LD document to RDFC-1.0 N-Quads.
 *
 * Safe mode makes any term the contexts do not define, or any relative IRI, an error
 * instead of silently dropping it: a verifier must not sign off data it cannot read.
 *
 * @param {object} document - A JSON-LD document (credential without proof, or proof
 *   configuration carrying the credential's @context).
 * @returns {Promise<string>} The canonical N-Quads.
 */
export async function canonize(document) {
  const options = {algorithm: 'RDFC-1.0', base: null, safe: true, documentLoader};
  const dataset = await jsonld.toRDF(document, {
    rdfDirection: 'i18n-datatype', ...options, produceGeneralizedRdf: false,
  });
  return rdfCanonize.canonize(dataset, {...options, format: 'application/n-quads'});
}
