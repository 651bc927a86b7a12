#!/usr/bin/env node
/*
 * Build the browser canonicaliser: ONE minified ES module (jsonld.js + rdf-canonize + the
 * bundled JSON-LD contexts) and the licence texts of everything inside it.
 *
 *   node js/build.mjs [--out DIR]        (default DIR: theme/static; `make js`)
 *
 * Writes DIR/jsonld-canonize.mjs and DIR/jsonld-canonize.LICENSES.txt. The output depends
 * only on package-lock.json (exact versions, `npm ci`) and the sources, so the committed
 * files must equal a rebuild: tests/test_browser.py rebuilds into a temporary folder and
 * compares byte for byte.
 *
 * jsonld.js's browser build installs an XMLHttpRequest document loader as the default; it
 * is replaced here by one that refuses every URL, so even a caller that forgot to pass our
 * documentLoader cannot make the bundle fetch anything.
 */
import {mkdir, readFile, readdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

import * as esbuild from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const NAME = 'jsonld-canonize';

const {values} = parseArgs({options: {out: {type: 'string'}}});
const outDir = path.resolve(values.out || path.join(REPO, 'theme', 'static'));

/** Replace jsonld's XMLHttpRequest loader with one that refuses everything. */
const noNetworkLoader = {
  name: 'no-network-loader',
  setup(build) {
    build.onResolve({filter: /documentLoaders[\\/]xhr(\.js)?$/}, () => ({
      path: 'refusing-loader', namespace: NAME,
    }));
    build.onLoad({filter: /.*/, namespace: NAME}, () => ({
      loader: 'js',
      contents: 'module.exports = () => async url => {' +
        ' throw new Error(`refused to load "${url}": this bundle never fetches`); };',
    }));
  },
};

const result = await esbuild.build({
  entryPoints: [path.join(HERE, 'src', 'canonize.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers with WebCrypto Ed25519 (Chrome 137, Firefox 129, Safari 17) all run ES2020.
  target: ['es2020'],
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  write: false,
  outfile: path.join(outDir, `${NAME}.mjs`),
  plugins: [noNetworkLoader],
  banner: {
    js: `/*! ${NAME}.mjs: jsonld.js + rdf-canonize + JSON-LD contexts, built by ` +
      `js/build.mjs (make js). Licences: ${NAME}.LICENSES.txt */`,
  },
});

/**
 * Return the npm packages whose files ended up in the bundle, with their licence texts.
 *
 * @param {object} metafile - esbuild's metafile.
 * @returns {Promise<string>} One section per package, sorted by name.
 */
async function licences(metafile) {
  const roots = new Set();
  for(const input of Object.keys(metafile.inputs)) {
    const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if(match) {
      roots.add(match[1]);
    }
  }
  const sections = [];
  for(const root of [...roots].sort()) {
    const dir = path.resolve(process.cwd(), root);
    const meta = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    const files = (await readdir(dir)).filter(f => /^(licen[cs]e|copying)/i.test(f)).sort();
    const texts = await Promise.all(files.map(f => readFile(path.join(dir, f), 'utf8')));
    sections.push(`${meta.name} ${meta.version} (${meta.license})\n` +
      `${'='.repeat(60)}\n\n${texts.join('\n').trim() || '(no licence file shipped)'}\n`);
  }
  return `Third-party code in ${NAME}.mjs, with its licences.\n` +
    'The JSON-LD contexts come from badgepages/contexts/ (see its README).\n\n' +
    sections.join('\n\n');
}

await mkdir(outDir, {recursive: true});
const [bundle] = result.outputFiles;
await writeFile(path.join(outDir, `${NAME}.mjs`), bundle.contents);
await writeFile(path.join(outDir, `${NAME}.LICENSES.txt`), await licences(result.metafile));
process.stdout.write(`wrote ${path.relative(process.cwd(), outDir)}/${NAME}.mjs ` +
  `(${bundle.contents.length} bytes)\n`);
