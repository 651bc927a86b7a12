#!/usr/bin/env node
/*
 * Canonicalise JSON-LD documents exactly as @digitalbazaar/eddsa-rdfc-2022-cryptosuite
 * does (lib/canonize.js: RDFC-1.0, base null, jsonld safe mode, rdfDirection
 * i18n-datatype), so Python tests can compare byte for byte.
 *
 * Usage: node canonize.mjs < docs.json
 *   stdin: a JSON array of documents; stdout: a JSON array with, per document,
 *   {"nquads": "..."} or {"error": "...", "code": "<safe-mode event code>"}.
 */
import {readFileSync} from 'node:fs';

import jsonld from 'jsonld';
import * as rdfCanonize from 'rdf-canonize';

import {CONTEXTS} from './loader.mjs';

async function documentLoader(url) {
  if(!CONTEXTS.has(url)) {
    throw new Error(`refused to load "${url}": not a bundled context`);
  }
  return {contextUrl: null, documentUrl: url, document: CONTEXTS.get(url)};
}

async function canonize(doc) {
  const options = {
    algorithm: 'RDFC-1.0', base: null, safe: true, documentLoader,
  };
  const dataset = await jsonld.toRDF(doc, {
    rdfDirection: 'i18n-datatype', ...options, produceGeneralizedRdf: false
  });
  return rdfCanonize.canonize(dataset, {...options, format: 'application/n-quads'});
}

const docs = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for(const doc of docs) {
  try {
    results.push({nquads: await canonize(doc)});
  } catch(e) {
    const event = e.details && e.details.event;
    results.push({error: e.message, code: event ? event.code : e.name});
  }
}
process.stdout.write(JSON.stringify(results));
