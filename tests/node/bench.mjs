#!/usr/bin/env node
/*
 * Time @digitalbazaar/vc issue() (DataIntegrityProof / eddsa-rdfc-2022) on one credential.
 *
 * Usage: node bench.mjs [--count N] [--warmup N] FILE
 *   FILE: an unsigned credential JSON (any "proof" is removed first).
 * Prints one JSON line: {"count": N, "ms_per_credential": x, "total_ms": y}.
 */
import {readFile} from 'node:fs/promises';
import {parseArgs} from 'node:util';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';

import {makeDocumentLoader} from './loader.mjs';

const {values, positionals} = parseArgs({
  options: {
    count: {type: 'string', default: '200'},
    warmup: {type: 'string', default: '20'},
  },
  allowPositionals: true,
});
if(positionals.length !== 1) {
  process.stderr.write('usage: node bench.mjs [--count N] [--warmup N] FILE\n');
  process.exit(2);
}
const {proof: _ignored, ...credential} =
  JSON.parse(await readFile(positionals[0], 'utf8'));
const issuer = typeof credential.issuer === 'object' ?
  credential.issuer.id : credential.issuer;
const keyPair = await Ed25519Multikey.generate({
  id: `${issuer}#key-1`, controller: issuer
});
const suite = new DataIntegrityProof({
  signer: keyPair.signer(), cryptosuite: eddsaRdfc2022CryptoSuite,
  date: '2025-01-01T00:00:00Z'
});
const documentLoader = makeDocumentLoader();

async function issueMany(count) {
  for(let i = 0; i < count; i++) {
    await vc.issue({credential: structuredClone(credential), suite, documentLoader});
  }
}

await issueMany(Number(values.warmup));
const count = Number(values.count);
const start = process.hrtime.bigint();
await issueMany(count);
const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(JSON.stringify({
  count, ms_per_credential: totalMs / count, total_ms: totalMs
}) + '\n');
