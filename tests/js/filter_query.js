#!/usr/bin/env node
// Run full queries (text, filters, a list scope, a sort) on a built site's search shards
// with the SHIPPED lunr.js and search.js; print JSON. Driven by tests/test_search_filters.py:
//   node tests/js/filter_query.js request.json > response.json
// request: {lunr, searchJs, site, queries: [{q, scope?, sort?}]}
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
globalThis.lunr = require(path.resolve(req.lunr));
const rl = require(path.resolve(req.searchJs));

function payload(name) {
  const file = path.join(req.site, 'search', name + '.js');
  const sandbox = {};
  sandbox.self = sandbox;
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: file });
  return sandbox[rl.GLOBAL][0][1];
}

const docs = payload('docs');
const engine = rl.load({ meta: payload('meta'), docs, text: payload('text') });
const facets = rl.decodeFacets(payload('facets'));
const out = [];
for (const q of req.queries) {
  const res = rl.query(engine, q.q, { facets, scope: q.scope || '', sort: q.sort || '' });
  const without = rl.query(engine, q.q, { scope: q.scope || '', sort: q.sort || '' });
  out.push({
    slugs: res.results.map((r) => r.doc[0]), hints: res.hints, sort: res.sort,
    empty: !!res.empty, pendingWithoutFacets: !!without.pending,
    counts: rl.facetCounts(facets, res.results.map((r) => +r.ref))
  });
}
process.stdout.write(JSON.stringify(out));
