#!/usr/bin/env node
/*
 * Build the browser bundles: each ONE minified ES module, with the licence texts of
 * everything inside it.
 *
 *   node js/build.mjs [--out DIR]        (default DIR: theme/static; `make js`)
 *
 * - jsonld-canonize.mjs: jsonld.js + rdf-canonize + the bundled JSON-LD contexts, for
 *   checking eddsa-rdfc-2022 signatures (js/src/canonize.js);
 * - qr-encode.mjs: the QR code encoder of the award pages (js/src/qr.js).
 *
 * Writes DIR/<name>.mjs and DIR/<name>.LICENSES.txt for each. The output depends only on
 * package-lock.json (exact versions, `npm ci`) and the sources, so the committed files must
 * equal a rebuild: tests/test_browser.py rebuilds into a temporary folder and compares byte
 * for byte.
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
const CANONIZE = 'jsonld-canonize';

const {values} = parseArgs({options: {out: {type: 'string'}}});
const outDir = path.resolve(values.out || path.join(REPO, 'theme', 'static'));

/** Replace jsonld's XMLHttpRequest loader with one that refuses everything. */
const noNetworkLoader = {
  name: 'no-network-loader',
  setup(build) {
    build.onResolve({filter: /documentLoaders[\\/]xhr(\.js)?$/}, () => ({
      path: 'refusing-loader', namespace: CANONIZE,
    }));
    build.onLoad({filter: /.*/, namespace: CANONIZE}, () => ({
      loader: 'js',
      contents: 'module.exports = () => async url => {' +
        ' throw new Error(`refused to load "${url}": this bundle never fetches`); };',
    }));
  },
};

/** The bundles: output name, entry point, what is inside, plugins, a note on other sources. */
const BUNDLES = [
  {
    name: CANONIZE,
    entry: 'canonize.js',
    contents: 'jsonld.js + rdf-canonize + JSON-LD contexts',
    plugins: [noNetworkLoader],
    note: 'The JSON-LD contexts come from badgepages/contexts/ (see its README).\n',
  },
  {
    name: 'qr-encode',
    entry: 'qr.js',
    contents: 'the QR code encoder of uqr',
    plugins: [],
    note: '',
  },
];

/**
 * Return the npm packages whose files ended up in a bundle, with their licence texts.
 *
 * @param {string} name - The bundle's name.
 * @param {string} note - A line on the bundle's other sources, or ''.
 * @param {object} metafile - esbuild's metafile.
 * @returns {Promise<string>} One section per package, sorted by name.
 */
async function licences(name, note, metafile) {
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
  return `Third-party code in ${name}.mjs, with its licences.\n${note}\n` +
    sections.join('\n\n');
}

/**
 * Build one bundle and write it with its licences.
 *
 * @param {object} bundle - An entry of BUNDLES.
 */
async function build({name, entry, contents, plugins, note}) {
  const result = await esbuild.build({
    entryPoints: [path.join(HERE, 'src', entry)],
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
    outfile: path.join(outDir, `${name}.mjs`),
    plugins,
    banner: {
      js: `/*! ${name}.mjs: ${contents}, built by ` +
        `js/build.mjs (make js). Licences: ${name}.LICENSES.txt */`,
    },
  });
  const [output] = result.outputFiles;
  await writeFile(path.join(outDir, `${name}.mjs`), output.contents);
  await writeFile(path.join(outDir, `${name}.LICENSES.txt`),
    await licences(name, note, result.metafile));
  process.stdout.write(`wrote ${path.relative(process.cwd(), outDir)}/${name}.mjs ` +
    `(${output.contents.length} bytes)\n`);
}

await mkdir(outDir, {recursive: true});
for(const bundle of BUNDLES) {
  await build(bundle);
}
