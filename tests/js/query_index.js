#!/usr/bin/env node
// Load a built site's search index with the SHIPPED lunr.js and search.js, run queries,
// print JSON. Driven by tests/test_search.py:
//   node tests/js/query_index.js request.json > response.json
// request: {lunr, searchJs, site, plain?, queries?, parser?, stems?, words?, dump?, time?}
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const lunr = require(path.resolve(req.lunr));
globalThis.lunr = lunr;
const rl = require(path.resolve(req.searchJs));

function loadPart(file) {
  const sandbox = {};
  sandbox.self = sandbox;
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: file });
  const [[part, payload]] = sandbox[rl.GLOBAL];
  return { part, payload };
}

const out = {};
const t0 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;

if (req.site) {
  const meta = loadPart(path.join(req.site, 'search', 'meta.js'));
  const text = loadPart(path.join(req.site, 'search', 'text.js'));
  const docs = loadPart(path.join(req.site, 'search', 'docs.js')).payload;
  const t1 = process.hrtime.bigint();
  const metaEngine = rl.load({ meta: meta.payload, docs });
  const t2 = process.hrtime.bigint();
  const fullEngine = rl.load({ meta: meta.payload, docs, text: text.payload });
  const t3 = process.hrtime.bigint();
  out.timings = { parseMs: ms(t0, t1), metaLoadMs: ms(t1, t2), fullLoadMs: ms(t2, t3) };
  out.parts = [meta.part, text.part];
  out.docs = docs.docs;
  out.fields = { meta: metaEngine.fields, full: fullEngine.fields };
  const json = rl.serialized(fullEngine.data);
  if (req.dump) fs.writeFileSync(req.dump, JSON.stringify(json));
  // engines: ours (typed arrays), lunr.js on the same data, lunr.js on the serialized
  // index (lunr.Index.load, unchanged), lunr.js on a plain index built by lunr.py
  const engines = {
    full: fullEngine,
    meta: metaEngine,
    lunr: rl.lunrEngine(rl.lunrIndex(fullEngine.data), meta.payload, docs),
    loaded: rl.lunrEngine(lunr.Index.load(json), meta.payload, docs)
  };
  if (req.plain) {
    engines.plain = rl.lunrEngine(lunr.Index.load(JSON.parse(fs.readFileSync(req.plain, 'utf8'))),
      meta.payload, docs);
  }
  out.results = {};
  const times = [];
  for (const q of req.queries || []) {
    const entry = {};
    for (const [name, engine] of Object.entries(engines)) {
      const a = process.hrtime.bigint();
      const res = rl.search(engine, q);
      if (name === 'full') times.push(ms(a, process.hrtime.bigint()));
      entry[name] = res.results.map((r) => [r.ref, r.score, r.doc[0], r.phrase]);
      if (name === 'full') {
        entry.hints = res.hints;
        entry.empty = res.empty;
        entry.clauses = rl.clauses(res.plan, engine.fields);
        // the same clauses straight through lunr.js (compared with lunr.py by the test)
        entry.raw = entry.clauses.length
          ? engines.loaded.query(entry.clauses).map((r) => [r.ref, r.score]) : [];
        entry.fast = entry.clauses.length
          ? rl.execute(engine, entry.clauses).map((r) => [r.ref, r.score]) : [];
        const isMatch = rl.matcher(res.plan);
        entry.marks = res.results.slice(0, 5).map((r) =>
          rl.segments([r.doc[1], rl.authorsText(r.doc[2]), r.doc[4], r.doc[5]].join(' | '),
                      isMatch)
            .filter((s) => s[1]).map((s) => s[0]));
      } else if (name === 'meta') {
        entry.metaPending = res.pending;
      }
    }
    out.results[q] = entry;
  }
  times.sort((a, b) => a - b);
  out.timings.queryP95Ms = times.length ? times[Math.floor((times.length - 1) * 0.95)] : 0;
}

let parserEngine = null;
if (req.parser) {
  if (req.parserEngine) {
    const part = (name) => loadPart(path.join(req.parserEngine, 'search', name + '.js')).payload;
    parserEngine = rl.load({ meta: part('meta'), docs: part('docs'), text: part('text') });
  }
  out.parser = {};
  for (const input of req.parser) {
    try {
      const parsed = rl.parseQuery(input);
      const plan = rl.plan(parsed, ['attent', 'distil', 'model', 'sun'],
        ['title', 'author', 'tag', 'org', 'venue', 'year', 'abstract', 'notes']);
      if (req.parserEngine) rl.search(parserEngine, input);
      const m = rl.matcher(plan);
      rl.segments(input, m);
      out.parser[input] = {
        ok: true, items: parsed.items.length, hints: plan.hints,
        groups: plan.groups.map((g) => [g.word, g.presence, g.fields.length === 1 ? g.fields[0] : '*',
          g.alternatives.map((a) => a.term + (a.wildcard ? '*' : '') +
            (a.editDistance ? '~' + a.editDistance : ''))]),
        phrases: plan.phrases.map((p) => [p.tokens.join(' '), p.negate])
      };
    } catch (e) {
      out.parser[input] = { ok: false, error: String(e && e.stack || e) };
    }
  }
}

if (req.marks) {
  // [query, text] -> the parts of text a result would mark for query
  out.marks = req.marks.map(([q, t]) => {
    const isMatch = rl.matcher(rl.plan(rl.parseQuery(q), [], ['title']));
    return rl.segments(t, isMatch).filter((s) => s[1]).map((s) => s[0]);
  });
}
if (req.stems) out.stems = req.stems.map((w) => rl.stem(w));
if (req.words) out.words = req.words.map((t) => rl.words(t));
if (req.terms) out.terms = req.terms.map((t) => rl.terms(t));

process.stdout.write(JSON.stringify(out));
