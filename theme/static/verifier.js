/**
 * Checking a badge in the browser, with the same rules and verdicts as the Python verifier
 * (badgepages/verify.py): every check ends "passed", "failed" or "could not check", and the
 * verdict is valid only when every check passed, so an unreadable status list, a browser
 * without Ed25519 or a lost connection never gives a false green.
 *
 * Nothing here talks to a third party. Every document (DID document, status list, hosted
 * assertion) is read from this site's own origin: an address under the site's public base
 * URL is fetched relative to the site root instead (so previews and tests on 127.0.0.1 work),
 * and any other address is not fetched at all: a badge of another issuer is recognised as
 * such and left to general verifiers.
 *
 * The RDF canonicaliser (jsonld.js + rdf-canonize, ~36 KB gzip) is imported only when a
 * signature is about to be checked.
 */

const CREDENTIALS_V2 = 'https://www.w3.org/ns/credentials/v2';
const CANONICALISER = './jsonld-canonize.mjs';
const ED25519_MULTICODEC = [0xed, 0x01];
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Outcomes, as in verify.py. */
export const PASSED = 'passed';
export const FAILED = 'failed';
export const UNCHECKED = 'could not check';

/**
 * A check that could not be run; `reason` is a code the pages translate.
 */
class Unchecked extends Error {
  /**
   * @param {string} reason - Translation code (e.g. "fetch", "no-ed25519").
   * @param {string} [detail] - Technical detail for the console and the tests.
   */
  constructor(reason, detail = '') {
    super(detail || reason);
    this.reason = reason;
  }
}

/**
 * The site the page belongs to: where its public documents live and how to reach them on
 * this origin.
 */
export class Site {
  /**
   * @param {object} options - Options.
   * @param {string} options.root - Absolute URL of the site root on this origin.
   * @param {string[]} options.bases - Public base URLs of the site (ending with "/").
   */
  constructor({root, bases}) {
    this.root = new URL(root, document.baseURI).href;
    this.bases = [...new Set(bases.filter(Boolean))];
  }

  /**
   * Return where to read a public URL of this site on this origin, or null when the URL is
   * not this site's (then it is never fetched).
   *
   * @param {string} url - A public URL.
   * @returns {string|null} A same-origin URL, or null.
   */
  local(url) {
    if(typeof url !== 'string') {
      return null;
    }
    for(const base of this.bases) {
      if(url.startsWith(base)) {
        const path = url.slice(base.length);
        if(leavesFolder(path.split(/[?#]/)[0])) {
          return null;
        }
        const local = new URL(path, this.root);
        return local.origin === location.origin ? local.href : null;
      }
    }
    return null;
  }
}

/**
 * Whether a path, once percent-decoded as web servers do, has a "." or ".." segment: one
 * that would climb out of the site's folder to another of the same origin (RFC 3986
 * §5.2.4), as badgepages/fetching.py site_fetcher refuses too.
 *
 * @param {string} path - A URL path relative to the site's base URL.
 * @returns {boolean} True when the path must not be read.
 */
function leavesFolder(path) {
  let decoded;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return decoded.split(/[/\\]/).some(segment => segment === '.' || segment === '..');
}

// did:web §3.1, as badgepages/did.py: a domain name (RFC 1123 labels), then an optional
// port after "%3A"; path segments that name directories.
const DOMAIN_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PLAIN_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=@-]+$/;
const ENCODED_SEGMENT = /^(?:[A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})+$/;

/**
 * Whether a did:web path segment names a directory: not empty, and not a dot-segment, which
 * would put the DID document outside the DID's own path, even percent-encoded (%2e%2E).
 *
 * @param {string} segment - A path segment of the DID, as written.
 * @returns {boolean} True for a directory name.
 */
function isDirectoryName(segment) {
  if(!ENCODED_SEGMENT.test(segment)) {
    return false;
  }
  let name;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return false;
  }
  return name !== '.' && name !== '..' && PLAIN_SEGMENT.test(name);
}

/**
 * Map a did:web DID to the https URL of its DID document (did:web §3.2.2, as
 * badgepages/did.py did_document_url).
 *
 * @param {string} did - A did:web DID without fragment or query.
 * @returns {string|null} The URL, or null when the DID is not a did:web, or is one that
 *   did:web §3.1 excludes (an IP address, a dot-segment, an empty segment).
 */
export function didWebToUrl(did) {
  if(typeof did !== 'string' || !did.startsWith('did:web:') || /[#?]/.test(did)) {
    return null;
  }
  const [domain, ...segments] = did.slice('did:web:'.length).split(':');
  // did:web §3.2.2 step 2: only the port's colon is percent-decoded.
  const [host, port, ...more] = domain.split(/%3A/i);
  const goodPort = port === undefined || (/^[0-9]{1,5}$/.test(port) && +port > 0 && +port < 65536);
  // did:web §3.1: "it MUST NOT include IP addresses".
  const named = DOMAIN_NAME.test(host) && !/^[0-9]+(\.[0-9]+){3}$/.test(host);
  if(more.length || !named || !goodPort || !segments.every(isDirectoryName)) {
    return null;
  }
  const path = segments.length ? segments.join('/') : '.well-known';
  return `https://${host.toLowerCase()}${port === undefined ? '' : `:${port}`}/${path}/did.json`;
}

/**
 * Read a JSON document from this origin only. `mode: same-origin` also refuses a redirect
 * to another origin; `no-cache` makes the browser revalidate, so a revocation published
 * since the last visit is seen.
 *
 * @param {string} url - A same-origin URL.
 * @param {boolean} [fresh] - Revalidate with the server.
 * @returns {Promise<object>} The parsed JSON.
 */
export async function fetchJson(url, fresh = false) {
  let response;
  try {
    response = await fetch(url, {
      mode: 'same-origin', credentials: 'omit', cache: fresh ? 'no-cache' : 'default',
    });
  } catch(error) {
    throw new Unchecked('fetch', `${url}: ${error.message}`);
  }
  if(!response.ok) {
    throw new Unchecked('fetch', `${url}: HTTP ${response.status}`);
  }
  try {
    return await response.json();
  } catch(error) {
    throw new Unchecked('fetch', `${url}: not JSON`);
  }
}

/**
 * Decode base58btc (Bitcoin alphabet), as used by multibase "z".
 *
 * @param {string} text - Base58 text.
 * @returns {Uint8Array} The bytes.
 */
export function base58Decode(text) {
  const bytes = [];
  for(const char of text) {
    let carry = BASE58.indexOf(char);
    if(carry < 0) {
      throw new Error(`"${char}" is not base58`);
    }
    for(let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while(carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for(const char of text) {
    if(char !== '1') {
      break;
    }
    bytes.push(0);
  }
  return new Uint8Array(bytes.reverse());
}

/**
 * Decode multibase base64url ("u" prefix, no padding).
 *
 * @param {string} text - Multibase text.
 * @returns {Uint8Array} The bytes.
 */
function base64UrlDecode(text) {
  if(typeof text !== 'string' || !text.startsWith('u')) {
    throw new Error('encodedList must be multibase base64url (prefix "u")');
  }
  const b64 = text.slice(1).replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
  return Uint8Array.from(binary, c => c.charCodeAt(0));
}

/**
 * SHA-256 with WebCrypto (only in secure contexts: https, localhost, 127.0.0.1).
 *
 * @param {Uint8Array|string} data - Bytes, or text encoded as UTF-8.
 * @returns {Promise<Uint8Array>} The digest.
 */
export async function sha256(data) {
  if(!globalThis.crypto || !crypto.subtle) {
    throw new Unchecked('no-webcrypto', 'WebCrypto is unavailable (not a secure context?)');
  }
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * Return the OB identity hash of an email: "sha256$" + hex(SHA-256(normalised email +
 * salt)), the email trimmed and lower-cased as badgepages/identity.py does.
 *
 * @param {string} email - The email as typed.
 * @param {string} salt - The award's salt.
 * @returns {Promise<string>} The identity hash.
 */
export async function identityHash(email, salt) {
  const digest = await sha256(email.trim().toLowerCase() + (salt || ''));
  return 'sha256$' + Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Return the types of a JSON-LD node as a list.
 *
 * @param {object} node - A node.
 * @returns {string[]} Its types.
 */
function types(node) {
  const value = node && node.type;
  return typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
}

/**
 * Return the id of a credential's issuer (a URL or an embedded Profile).
 *
 * @param {object} credential - A credential.
 * @returns {string} The issuer id.
 */
function issuerId(credential) {
  const issuer = credential.issuer;
  return String(issuer && typeof issuer === 'object' ? issuer.id : issuer);
}

/**
 * Compare JSON values as Python compares dicts and lists (key order ignored).
 *
 * @param {*} a - A JSON value.
 * @param {*} b - Another.
 * @returns {boolean} Whether they are equal.
 */
function jsonEqual(a, b) {
  if(a === b) {
    return true;
  }
  if(typeof a !== 'object' || typeof b !== 'object' || a === null || b === null ||
    Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  if(Array.isArray(a)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every(k => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
}

/**
 * The checks of one badge and its verdict.
 */
export class Report {
  /** @param {string} kind - "ob3", "ob2" or "unknown". */
  constructor(kind) {
    this.kind = kind;
    /** @type {{name: string, outcome: string, reason: string, values: object}[]} */
    this.checks = [];
    /** True when the badge names another issuer: this site does not check it. */
    this.foreign = false;
    /** The verified document's summary (name, issuer, dates), when readable. */
    this.summary = {};
  }

  /**
   * Record a check.
   *
   * @param {string} name - Check name, as in verify.py.
   * @param {string} outcome - PASSED, FAILED or UNCHECKED.
   * @param {string} reason - Translation code.
   * @param {object} [values] - Values for the translated text (dates, names, detail).
   */
  add(name, outcome, reason, values = {}) {
    this.checks.push({name, outcome, reason, values});
  }

  /**
   * The verdict, with the precedence of verify.py Report.verdict.
   *
   * @returns {string} valid, revoked, expired, invalid or unverified.
   */
  get verdict() {
    const failed = new Set(this.checks.filter(c => c.outcome === FAILED).map(c => c.name));
    if(['format', 'signature', 'issuer', 'hosted assertion'].some(n => failed.has(n))) {
      return 'invalid';
    }
    if(failed.has('revocation')) {
      return 'revoked';
    }
    if(failed.has('validity dates')) {
      return 'expired';
    }
    if(!this.checks.length || this.checks.some(c => c.outcome !== PASSED)) {
      return 'unverified';
    }
    return 'valid';
  }
}

/**
 * Verifies badges against one site: caches the DID documents and the canonicaliser.
 */
export class Verifier {
  /**
   * @param {object} options - Options.
   * @param {Site} options.site - The site whose badges are checked.
   * @param {Date} [options.now] - The time dates are checked against.
   */
  constructor({site, now = new Date()}) {
    this.site = site;
    this.now = now;
    this._dids = new Map();
    this._canonize = null;
  }

  /**
   * Verify an OB 3.0 credential or an OB 2.0 assertion.
   *
   * @param {object} document - The parsed JSON.
   * @returns {Promise<Report>} The report.
   */
  async verify(document) {
    const kinds = types(document);
    if(kinds.includes('VerifiableCredential')) {
      return this._verifyOb3(document);
    }
    if(kinds.includes('Assertion')) {
      return this._verifyOb2(document);
    }
    const report = new Report('unknown');
    report.add('format', FAILED, 'not-a-badge');
    return report;
  }

  // -- OB 3.0 ---------------------------------------------------------------------------

  async _verifyOb3(credential) {
    const report = new Report('ob3');
    const issuer = issuerId(credential);
    report.summary = {
      name: credential.name || credential.credentialSubject?.achievement?.name,
      issuerName: credential.issuer?.name || issuer,
      issuer,
      validFrom: credential.validFrom,
      validUntil: credential.validUntil,
      id: credential.id,
    };
    const context = Array.isArray(credential['@context']) ?
      credential['@context'] : [credential['@context']];
    const isBadge = types(credential).includes('OpenBadgeCredential') &&
      context[0] === CREDENTIALS_V2;
    report.add('format', isBadge ? PASSED : FAILED, isBadge ? 'format' : 'not-ob3');
    const didUrl = didWebToUrl(issuer);
    const local = didUrl && this.site.local(didUrl);
    if(!local) {
      // Another issuer: its keys and status list live on another site, never fetched here.
      report.foreign = true;
      report.add('signature', UNCHECKED, 'other-issuer', {issuer});
      report.add('revocation', UNCHECKED, 'other-issuer', {issuer});
      this._checkDates(report, credential.validFrom, credential.validUntil);
      return report;
    }
    // Concurrently: both need the DID document and the canonicaliser, loaded once.
    await Promise.all([
      this._checkSignature(report, credential, issuer, local),
      this._checkStatus(report, credential, issuer, local),
    ]);
    this._checkDates(report, credential.validFrom, credential.validUntil);
    return report;
  }

  async _checkSignature(report, credential, issuer, didUrl) {
    const proofs = proofList(credential);
    if(!proofs.length) {
      report.add('signature', FAILED, 'not-signed');
      return;
    }
    const methods = proofs.map(p => String(p && p.verificationMethod || ''));
    const sameIssuer = methods.every(m => m.split('#')[0] === issuer);
    report.add('issuer', sameIssuer ? PASSED : FAILED,
      sameIssuer ? 'issuer' : 'other-signer', {issuer: report.summary.issuerName || issuer});
    try {
      const failure = await this._verifyProofs(credential, issuer, didUrl);
      if(failure) {
        report.add('signature', FAILED, failure.reason, {detail: failure.detail});
      } else {
        report.add('signature', PASSED, 'signature');
      }
    } catch(error) {
      report.add('signature', UNCHECKED, error.reason || 'error', {detail: error.message});
    }
  }

  /**
   * Verify every eddsa-rdfc-2022 proof (VC-DI-EdDSA §3.3.2): SHA-256 of the canonical
   * proof configuration (with the document's @context) followed by SHA-256 of the
   * canonical document without proof, checked with the Ed25519 key of the issuer's DID
   * document.
   *
   * @param {object} credential - A secured document.
   * @param {string} issuer - The issuer DID.
   * @param {string} didUrl - Same-origin URL of its DID document.
   * @returns {Promise<{reason: string, detail: string}|null>} Why it fails, or null.
   * @throws {Unchecked} When something needed cannot be obtained.
   */
  async _verifyProofs(credential, issuer, didUrl) {
    const proofs = proofList(credential);
    if(!proofs.length) {
      return {reason: 'not-signed', detail: 'credential has no proof'};
    }
    for(const proof of proofs) {
      const shape = proofShapeError(proof);
      if(shape) {
        return {reason: 'bad-proof', detail: shape};
      }
    }
    const [keys, canonize] = await Promise.all([
      this._issuerKeys(issuer, didUrl), this._canonicaliser(),
    ]);
    const unsecured = Object.fromEntries(
      Object.entries(credential).filter(([name]) => name !== 'proof'));
    let documentHash;
    try {
      documentHash = await sha256(await canonize(unsecured));
    } catch(error) {
      if(error instanceof Unchecked) {
        throw error;
      }
      return {reason: 'not-json-ld', detail: error.message};
    }
    for(const proof of proofs) {
      const key = keys.get(proof.verificationMethod);
      if(!key) {
        return {reason: 'unknown-key', detail: `${proof.verificationMethod} not in the DID document`};
      }
      let signature;
      try {
        signature = base58Decode(proof.proofValue.slice(1));
      } catch(error) {
        return {reason: 'bad-proof', detail: `proofValue: ${error.message}`};
      }
      if(!proof.proofValue.startsWith('z') || signature.length !== 64) {
        return {reason: 'bad-proof', detail: 'proofValue is not a base58btc Ed25519 signature'};
      }
      const options = Object.fromEntries(
        Object.entries(proof).filter(([name]) => name !== 'proofValue'));
      options['@context'] = unsecured['@context'];
      let proofHash;
      try {
        proofHash = await sha256(await canonize(options));
      } catch(error) {
        return {reason: 'not-json-ld', detail: `proof options: ${error.message}`};
      }
      const data = new Uint8Array(64);
      data.set(proofHash, 0);
      data.set(documentHash, 32);
      if(!await ed25519Verify(await key, signature, data)) {
        return {reason: 'mismatch', detail: 'signature does not match the credential'};
      }
    }
    return null;
  }

  /**
   * Return the Ed25519 keys the issuer's DID document authorises for assertionMethod, as
   * WebCrypto keys by verification method id (badgepages/did.py assertion_keys).
   *
   * @param {string} did - The DID.
   * @param {string} url - Same-origin URL of its DID document.
   * @returns {Promise<Map<string, Promise<CryptoKey>>>} Keys by id.
   */
  _issuerKeys(did, url) {
    if(!this._dids.has(did)) {
      this._dids.set(did, (async () => {
        let document;
        try {
          document = await fetchJson(url, true);
        } catch(error) {
          throw new Unchecked('did-unreadable', error.message);
        }
        if(!document || document.id !== did) {
          throw new Unchecked('did-mismatch', 'the DID document is not the issuer\'s');
        }
        const allowed = new Set(document.assertionMethod || []);
        const keys = new Map();
        for(const method of document.verificationMethod || []) {
          if(allowed.has(method.id) && method.controller === did &&
            method.type === 'Multikey') {
            keys.set(method.id, importMultikey(method.publicKeyMultibase));
            keys.get(method.id).catch(() => {});  // reported when used
          }
        }
        return keys;
      })());
    }
    return this._dids.get(did);
  }

  /**
   * Load the canonicaliser module once; a failure (offline) means "could not check".
   *
   * @returns {Promise<Function>} canonize(document) -> N-Quads.
   */
  _canonicaliser() {
    if(!this._canonize) {
      this._canonize = import(CANONICALISER).then(
        module => module.canonize,
        error => {
          this._canonize = null;
          throw new Unchecked('no-verifier', error.message);
        });
    }
    return this._canonize;
  }

  async _checkStatus(report, credential, issuer, didUrl) {
    const entry = credential.credentialStatus;
    if(!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      report.add('revocation', UNCHECKED, 'no-status');
      return;
    }
    const url = this.site.local(entry.statusListCredential);
    if(!url) {
      report.add('revocation', UNCHECKED, 'other-origin');
      return;
    }
    let revoked;
    let statusList;
    try {
      statusList = await fetchJson(url, true);
      const index = Number.parseInt(entry.statusListIndex, 10);
      revoked = await isSet(statusList.credentialSubject.encodedList, index);
    } catch(error) {
      const reason = !error.reason || error.reason === 'fetch' ? 'status-unreadable' : error.reason;
      report.add('revocation', UNCHECKED, reason, {detail: error.message});
      return;
    }
    let authentic = false;
    try {
      authentic = issuerId(statusList) === issuer &&
        statusList.credentialSubject.statusPurpose === entry.statusPurpose &&
        !await this._verifyProofs(statusList, issuer, didUrl);
    } catch(error) {
      report.add('revocation', UNCHECKED, error.reason || 'status-unsigned',
        {detail: error.message});
      return;
    }
    if(!authentic) {
      report.add('revocation', UNCHECKED, 'status-unsigned');
    } else if(revoked) {
      report.add('revocation', FAILED, 'revoked');
    } else {
      report.add('revocation', PASSED, 'not-revoked');
    }
  }

  _checkDates(report, start, end) {
    const from = parseTime(start);
    const until = parseTime(end);
    if(Number.isNaN(from) || Number.isNaN(until)) {
      report.add('validity dates', FAILED, 'bad-date');
    } else if(from !== null && from > this.now.getTime()) {
      report.add('validity dates', FAILED, 'not-yet-valid', {date: start});
    } else if(until !== null && until <= this.now.getTime()) {
      report.add('validity dates', FAILED, 'expired', {date: end});
    } else if(until !== null) {
      report.add('validity dates', PASSED, 'valid-until', {date: end});
    } else {
      report.add('validity dates', PASSED, 'no-expiry');
    }
  }

  // -- OB 2.0 ---------------------------------------------------------------------------

  async _verifyOb2(assertion) {
    const report = new Report('ob2');
    const url = String(assertion.id || '');
    report.summary = {
      id: url, validFrom: assertion.issuedOn, validUntil: assertion.expires,
    };
    const local = this.site.local(url);
    if(!local) {
      report.foreign = true;
      report.add('hosted assertion', UNCHECKED, 'other-issuer', {issuer: url});
      return report;
    }
    let hosted;
    try {
      hosted = await fetchJson(local, true);
    } catch(error) {
      report.add('hosted assertion', UNCHECKED, error.reason || 'fetch', {detail: error.message});
      return report;
    }
    const same = jsonEqual(hosted, assertion);
    report.add('format', PASSED, 'format');
    report.add('hosted assertion', same ? PASSED : FAILED, same ? 'hosted' : 'hosted-differs');
    try {
      const badgeUrl = this.site.local(String(hosted.badge));
      if(!badgeUrl) {
        throw new Unchecked('other-origin');
      }
      const badge = await fetchJson(badgeUrl);
      report.summary.name = badge.name;
      const issuerUrl = String(badge.issuer);
      const issuerLocal = this.site.local(issuerUrl);
      if(!issuerLocal) {
        throw new Unchecked('other-origin');
      }
      const issuer = await fetchJson(issuerLocal);
      report.summary.issuerName = issuer.name;
      report.summary.issuer = issuerUrl;
      const inScope = new URL(url).host === new URL(issuerUrl).host;
      report.add('issuer', inScope ? PASSED : FAILED, inScope ? 'issuer' : 'other-signer',
        {issuer: issuer.name || issuerUrl});
    } catch(error) {
      report.add('issuer', UNCHECKED, error.reason || 'fetch', {detail: error.message});
    }
    if(hosted.revoked) {
      report.add('revocation', FAILED, 'revoked-ob2',
        {detail: String(hosted.revocationReason || 'revoked')});
    } else {
      report.add('revocation', PASSED, 'not-revoked-ob2');
    }
    this._checkDates(report, hosted.issuedOn, hosted.expires);
    return report;
  }
}

/**
 * Return the proof set, object or list form.
 *
 * @param {object} document - A secured document.
 * @returns {object[]} Its proofs.
 */
function proofList(document) {
  const raw = document.proof;
  if(raw === undefined || raw === null) {
    return [];
  }
  return Array.isArray(raw) ? raw : [raw];
}

/**
 * Check VC-DI §4.3 / VC-DI-EdDSA §3.3.2 preconditions on one proof
 * (badgepages/signing.py _proof_shape_error).
 *
 * @param {object} proof - A proof.
 * @returns {string|null} The problem, or null.
 */
function proofShapeError(proof) {
  if(!proof || typeof proof !== 'object') {
    return 'proof is not an object';
  }
  const expected = {
    type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod',
  };
  for(const [name, value] of Object.entries(expected)) {
    if(proof[name] !== value) {
      return `proof ${name} is ${JSON.stringify(proof[name])}, expected "${value}"`;
    }
  }
  if('previousProof' in proof) {
    return 'proof chains (previousProof) are not supported';
  }
  if(typeof proof.verificationMethod !== 'string') {
    return 'proof verificationMethod must be a URL string';
  }
  if(typeof proof.proofValue !== 'string') {
    return 'proof has no proofValue';
  }
  return null;
}

/**
 * Import an Ed25519 Multikey ("z" + base58btc(0xed01 || 32-byte key)) for WebCrypto.
 *
 * @param {string} multibase - publicKeyMultibase.
 * @returns {Promise<CryptoKey>} The key.
 * @throws {Unchecked} When the browser cannot do Ed25519.
 */
async function importMultikey(multibase) {
  const bytes = typeof multibase === 'string' && multibase.startsWith('z') ?
    base58Decode(multibase.slice(1)) : new Uint8Array();
  if(bytes.length !== 34 || bytes[0] !== ED25519_MULTICODEC[0] ||
    bytes[1] !== ED25519_MULTICODEC[1]) {
    throw new Unchecked('bad-key', 'publicKeyMultibase is not an Ed25519 Multikey');
  }
  if(!globalThis.crypto || !crypto.subtle) {
    throw new Unchecked('no-webcrypto', 'WebCrypto is unavailable (not a secure context?)');
  }
  try {
    return await crypto.subtle.importKey(
      'raw', bytes.slice(2), {name: 'Ed25519'}, false, ['verify']);
  } catch(error) {
    throw new Unchecked('no-ed25519', `WebCrypto Ed25519: ${error.message}`);
  }
}

/**
 * Verify an Ed25519 signature with WebCrypto.
 *
 * @param {CryptoKey} key - The public key.
 * @param {Uint8Array} signature - 64 bytes.
 * @param {Uint8Array} data - The signed bytes.
 * @returns {Promise<boolean>} Whether the signature matches.
 */
async function ed25519Verify(key, signature, data) {
  try {
    return await crypto.subtle.verify({name: 'Ed25519'}, key, signature, data);
  } catch(error) {
    throw new Unchecked('no-ed25519', `WebCrypto Ed25519: ${error.message}`);
  }
}

/**
 * Return the bit at `index` of a Bitstring Status List encodedList (multibase base64url of
 * the GZIP of the bitstring; index 0 is the most significant bit of the first byte).
 *
 * @param {string} encodedList - The encoded list.
 * @param {number} index - The status index.
 * @returns {Promise<boolean>} Whether the bit is set.
 */
async function isSet(encodedList, index) {
  if(typeof DecompressionStream !== 'function') {
    throw new Unchecked('no-gzip', 'DecompressionStream is unavailable');
  }
  const compressed = base64UrlDecode(encodedList);
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip'));
  const bits = new Uint8Array(await new Response(stream).arrayBuffer());
  if(!Number.isInteger(index) || index < 0 || index >= bits.length * 8) {
    throw new Error(`index ${index} is outside the status list`);
  }
  return Boolean(bits[index >> 3] & (0x80 >> (index % 8)));
}

/**
 * Parse an ISO 8601 date-time; like verify.py, a value that is not text counts as absent.
 *
 * @param {*} value - The value.
 * @returns {number|null} Milliseconds since the epoch, NaN when unreadable, null if absent.
 */
function parseTime(value) {
  return typeof value === 'string' ? Date.parse(value) : null;
}
