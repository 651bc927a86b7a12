#!/usr/bin/env node
/*
 * Verify badgepages credentials with the Digital Bazaar stack, fully offline.
 *
 * Usage: node verify.mjs --site DIR --base-url URL [--now ISO-DATE] FILE...
 *
 * Each FILE is a credential JSON (DataIntegrityProof / eddsa-rdfc-2022). Keys are resolved
 * through did:web (or https URLs) mapped onto DIR; BitstringStatusListEntry statuses are
 * checked against the status list credential in DIR. Prints one JSON line per credential:
 *   {"file": ..., "verified": true|false, "errors": [...], "status": [...]}
 * and exits 1 if any credential fails, 2 on usage errors.
 */
import {readFile} from 'node:fs/promises';
import {parseArgs} from 'node:util';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {checkStatus as checkBitstringStatus} from
  '@digitalbazaar/vc-bitstring-status-list';

import {makeDocumentLoader} from './loader.mjs';

function usage(message) {
  process.stderr.write(`${message}\n` +
    'usage: node verify.mjs --site DIR --base-url URL FILE...\n');
  process.exit(2);
}

/**
 * Flatten nested verification errors into short strings (jsonld safe-mode
 * errors carry the offending event in details.event).
 *
 * @param {Error} error - The error to summarise.
 * @returns {string[]} One line per leaf error.
 */
function summarise(error) {
  if(!error) {
    return [];
  }
  if(Array.isArray(error)) {
    return error.flatMap(summarise);
  }
  if(Array.isArray(error.errors) && error.errors.length) {
    return error.errors.flatMap(summarise);
  }
  const event = error.details && error.details.event;
  const detail = event ? ` [${event.code}: ${JSON.stringify(event.details)}]` : '';
  const cause = error.cause ? ` <- ${summarise(error.cause).join('; ')}` : '';
  return [`${error.name || 'Error'}: ${error.message}${detail}${cause}`];
}

/**
 * vc.verifyCredential only fails when the status *check* fails; a set bit
 * (revoked / suspended) must fail verification too.
 *
 * @param {object} options - Options passed by vc.verifyCredential.
 * @returns {Promise<object>} The status result.
 */
async function checkStatus(options) {
  const result = await checkBitstringStatus(options);
  if(result.verified && result.results.some(r => r.status === true)) {
    const purposes = result.results.filter(r => r.status === true)
      .map(r => r.credentialStatus.statusPurpose);
    return {...result, verified: false,
      error: new Error(`credential status is set: ${purposes.join(', ')}`)};
  }
  return result;
}

async function verifyFile({file, documentLoader, now}) {
  let credential;
  try {
    credential = JSON.parse(await readFile(file, 'utf8'));
  } catch(e) {
    return {file, verified: false, errors: [`cannot read: ${e.message}`]};
  }
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus, ...(now ? {now} : {})
  });
  const errors = summarise(result.error);
  if(result.statusResult && !result.statusResult.verified) {
    errors.push(...summarise(result.statusResult.error));
  }
  return {
    file,
    verified: result.verified === true,
    errors,
    status: (result.statusResult?.results || []).map(r => ({
      purpose: r.credentialStatus?.statusPurpose, set: r.status
    })),
  };
}

const {values, positionals} = parseArgs({
  options: {
    site: {type: 'string'}, 'base-url': {type: 'string'}, now: {type: 'string'}
  },
  allowPositionals: true,
});
if(!values.site || !values['base-url'] || positionals.length === 0) {
  usage('missing --site, --base-url or FILE');
}
const documentLoader = makeDocumentLoader({
  site: values.site, baseUrl: values['base-url']
});
let failures = 0;
for(const file of positionals) {
  const now = values.now ? new Date(values.now) : undefined;
  const result = await verifyFile({file, documentLoader, now});
  if(!result.verified) {
    failures++;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}
process.exit(failures ? 1 : 0);
