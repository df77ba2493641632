/*
 * readinglist search: the header box, the search page, and the query language.
 *
 * The index is built by generator/search.py and shipped as two scripts that push their
 * payload onto self.readinglistSearch (no fetch, so file:// works):
 *   search/meta.js  title, author, tag, org, venue, year + the result rows (loaded first)
 *   search/text.js  abstract and notes (loaded after, in the background)
 * Both carry, per field and paper, the sorted ids of the paper's terms (repeated tf
 * times); here they become lunr's serialized shape, with field vectors scored by the
 * same formula as lunr.Builder, and are loaded with lunr.Index.load.
 *
 * Text processing must match generator/search.py word for word: NFKC, lower case,
 * words = runs of letters/digits (a dot between digits stays), a run of Chinese, Japanese
 * or Korean letters as its overlapping pairs of letters, lunr's stop words, lunr's Porter
 * stemmer.
 *
 * Queries never go through lunr's string parser: parseQuery() reads what the user typed
 * (forgiving: any input is fine) and plan() turns it into lunr.Query clauses.
 * In Node, `require()` this file for the pure functions; in a page it starts itself.
 */
(function (global) {
  'use strict';

  var GLOBAL = 'readinglistSearch';
  var FORMAT = 'readinglist-search/1';
  var K1 = 1.2, B = 0.75;
  var POPUP_LIMIT = 8, PAGE_STEP = 50;
  var MIN_PARTIAL = 2; // the last word is a prefix once it has this many characters
  var MAX_FUZZ = 2;
  var EXACT_BOOST = 2; // the typed word itself, next to the words it starts

  var FIELD_ALIASES = {
    title: 'title', ti: 'title',
    author: 'author', authors: 'author', au: 'author', by: 'author',
    tag: 'tag', tags: 'tag',
    org: 'org', orgs: 'org', organization: 'org', organisation: 'org',
    organizations: 'org', organisations: 'org', affiliation: 'org',
    venue: 'venue', year: 'year',
    abstract: 'abstract', abs: 'abstract',
    notes: 'notes', note: 'notes'
  };

  // ---- text processing (mirror of generator/search.py) ----------------------------

  var WORD_RE = /[\p{L}\p{N}]+(?:\.(?<=[0-9]\.)(?=[0-9])[\p{L}\p{N}]+)*/gu;
  var ASTRAL_RE = /[\uD800-\uDFFF]/;

  // Han, Hiragana, Katakana, Hangul: generator/search.py's CJK_RANGES, the same ranges
  var CJK = '\\u1100-\\u11ff\\u2e80-\\u2fdf\\u3005-\\u3007\\u3021-\\u3029\\u3038-\\u303c' +
    '\\u3040-\\u30ff\\u3130-\\u318f\\u31f0-\\u31ff\\u3400-\\u4dbf\\u4e00-\\u9fff' +
    '\\ua960-\\ua97f\\uac00-\\ud7ff\\uf900-\\ufaff\\uff66-\\uffdc\\u{20000}-\\u{3ffff}';
  var CJK_RE = new RegExp('[' + CJK + ']', 'u');
  var CJK_OR_NOT_RE = new RegExp('[' + CJK + ']+|[^' + CJK + ']+', 'gu');
  var CJK_FIRST = '\u1100'; // no CJK word sorts before it

  function normalize(text) {
    return String(text).normalize('NFKC').toLowerCase();
  }

  /** A run of CJK letters -> its words: each letter with the next, or the lone letter. */
  function cjkPairs(run) {
    var cs = Array.from(run), out = [];
    if (cs.length < 2) return [run];
    for (var i = 0; i + 1 < cs.length; i++) out.push(cs[i] + cs[i + 1]);
    return out;
  }

  /**
   * Text -> {tokens: its words, runs: per word, the number of the CJK run it is from (-1:
   * none), texts: each CJK run}. A query's CJK run is one word to its user.
   */
  function split(text) {
    var found = normalize(text).match(WORD_RE) || [];
    var out = { tokens: [], runs: [], texts: [] };
    found.forEach(function (word) {
      if (!CJK_RE.test(word)) { out.tokens.push(word); out.runs.push(-1); return; }
      word.match(CJK_OR_NOT_RE).forEach(function (piece) {
        if (!CJK_RE.test(piece)) { out.tokens.push(piece); out.runs.push(-1); return; }
        cjkPairs(piece).forEach(function (pair) {
          out.tokens.push(pair);
          out.runs.push(out.texts.length);
        });
        out.texts.push(piece);
      });
    });
    return out;
  }

  /** Text -> its words, NFKC and lower case, stop words kept. */
  function words(text) {
    return split(text).tokens;
  }

  function lib() {
    if (!global.lunr) throw new Error('lunr is not loaded');
    return global.lunr;
  }

  var stemCache = Object.create(null);
  var stopCache = Object.create(null);

  /** One lower-case word -> its stem, as lunr.stemmer does (astral words unchanged). */
  function stem(word) {
    var s = stemCache[word];
    if (s === undefined) {
      var lunr = lib();
      s = ASTRAL_RE.test(word) ? word : lunr.stemmer(new lunr.Token(word)).toString();
      stemCache[word] = s;
    }
    return s;
  }

  function isStopWord(word) {
    var s = stopCache[word];
    if (s === undefined) {
      var lunr = lib();
      s = stopCache[word] = !lunr.stopWordFilter(new lunr.Token(word));
    }
    return s;
  }

  /** Text -> index terms (what the Python side indexes). */
  function terms(text) {
    var out = [];
    words(text).forEach(function (w) { if (!isStopWord(w)) out.push(stem(w)); });
    return out;
  }

  // ---- index: shipped parts -> lunr's serialized shape -------------------------------

  function checkPart(payload, part) {
    if (!payload || payload.format !== FORMAT || payload.part !== part) {
      throw new Error('search index part "' + part + '" has an unknown format');
    }
  }

  function mergeSorted(a, b) {
    var out = new Array(a.length + b.length), i = 0, j = 0, k = 0;
    while (i < a.length && j < b.length) out[k++] = a[i] < b[j] ? a[i++] : b[j++];
    while (i < a.length) out[k++] = a[i++];
    while (j < b.length) out[k++] = b[j++];
    return out;
  }

  var EMPTY_METADATA = {}; // lunr only reads posting metadata: one object serves all

  /**
   * meta (and, once loaded, text) payloads -> decoding steps (each a few tens of ms at
   * 10,000 papers, so a page can run them between keystrokes) and the result: per field,
   * lunr's field vectors scored exactly as lunr.Builder scores them (one Float64Array of
   * [term index, score, ...] per field, `start[d]` where paper d begins) and the postings
   * as term -> sorted paper numbers (`offsets[t]` into `docs`).
   */
  function decoder(meta, text, withTokenSet) {
    checkPart(meta, 'meta');
    if (text) checkPart(text, 'text');
    var n = meta.docCount, m = meta.terms.length;
    var boosts = Object.create(null);
    meta.fields.forEach(function (f) { boosts[f[0]] = f[1]; });
    var fieldNames = [], rowsByField = [];
    (text ? [meta, text] : [meta]).forEach(function (p) {
      p.partFields.forEach(function (name, i) { fieldNames.push(name); rowsByField.push(p.ids[i]); });
    });
    var allTerms = text ? meta.terms.concat(text.terms) : meta.terms; // term index -> term
    var termCount = allTerms.length;
    var idf = new Float64Array(termCount);
    var fields = [];
    var out = null;

    function scoreTerms() {
      var df = new Float64Array(termCount);
      df.set(meta.df);
      if (text) { // papers with a text-only term, once per field (as lunr.idf counts)
        text.ids.forEach(function (rows) {
          for (var d = 0; d < n; d++) {
            var row = rows[d], id = 0;
            for (var k = 0; k < row.length; k++) {
              id += row[k];
              if ((k === 0 || row[k] !== 0) && id >= m) df[id]++;
            }
          }
        });
      }
      for (var id = 0; id < termCount; id++) {
        var x = (n - df[id] + 0.5) / (df[id] + 0.5); // lunr.idf
        idf[id] = Math.log(1 + Math.abs(x));
      }
    }

    function decodeField(fi) {
      var rows = rowsByField[fi], total = 0, d, k, row, id;
      for (d = 0; d < n; d++) total += rows[d].length;
      // room for every id; a repeated one (tf > 1) leaves some unused, cut off below
      var avg = total / n, boost = boosts[fieldNames[fi]] || 1;
      var vec = new Float64Array(2 * total), start = new Int32Array(n + 1);
      var offsets = new Int32Array(termCount + 1), p = 0;
      for (d = 0; d < n; d++) {
        row = rows[d];
        start[d] = p;
        var length = row.length;
        // lunr.Builder.prototype.createFieldVectors, operation for operation
        var norm = K1 * (1 - B + B * (length / avg));
        id = 0;
        k = 0;
        while (k < length) {
          id += row[k++];
          var tf = 1;
          while (k < length && row[k] === 0) { tf++; k++; }
          var score = idf[id] * ((K1 + 1) * tf) / (norm + tf);
          score *= boost;
          score *= 1; // document boost
          vec[p++] = id;
          vec[p++] = Math.round(score * 1000) / 1000;
          offsets[id + 1]++;
        }
      }
      start[n] = p;
      if (p < vec.length) vec = vec.subarray(0, p);
      var pairs = p / 2;
      for (id = 0; id < termCount; id++) offsets[id + 1] += offsets[id];
      var docs = new Int32Array(pairs), cursor = offsets.slice(0, termCount);
      for (d = 0; d < n; d++) {
        for (k = start[d]; k < start[d + 1]; k += 2) docs[cursor[vec[k]]++] = d;
      }
      fields[fi] = { name: fieldNames[fi], vec: vec, start: start, offsets: offsets, docs: docs };
    }

    function finish() {
      var present = new Uint8Array(termCount), termId = Object.create(null), byName = Object.create(null);
      fields.forEach(function (f, fi) {
        byName[f.name] = fi;
        for (var i = 0; i < termCount; i++) if (f.offsets[i + 1] > f.offsets[i]) present[i] = 1;
      });
      for (var id = 0; id < termCount; id++) if (present[id]) termId[allTerms[id]] = id;
      var vocab = mergeSorted(meta.terms, text ? text.terms : []).filter(function (t) {
        return termId[t] !== undefined;
      });
      out = { n: n, fieldNames: fieldNames, fields: fields, byName: byName, termId: termId,
              vocab: vocab, version: meta.lunr, termCount: termCount, tokenSet: null };
    }

    // lunr's TokenSet of the vocabulary (for prefix and fuzzy expansion), 8,000 words a step
    var builder = null, inserted = 0, CHUNK = 8000;
    function tokenSetStep() {
      var lunr = lib();
      if (!builder) builder = new lunr.TokenSet.Builder();
      var vocab = out.vocab, end = Math.min(inserted + CHUNK, vocab.length);
      for (; inserted < end; inserted++) builder.insert(vocab[inserted]);
      if (inserted >= vocab.length) { builder.finish(); out.tokenSet = builder.root; }
      else steps.splice(steps.indexOf(tokenSetStep) + 1, 0, tokenSetStep);
    }

    var steps = [scoreTerms];
    fieldNames.forEach(function (_, fi) { steps.push(function () { decodeField(fi); }); });
    steps.push(finish);
    if (withTokenSet) steps.push(tokenSetStep);
    return { steps: steps, result: function () { return out; } };
  }

  function decode(meta, text, withTokenSet) {
    var d = decoder(meta, text, withTokenSet);
    for (var i = 0; i < d.steps.length; i++) d.steps[i]();
    return d.result();
  }

  /** Decoded parts -> a lunr.Index over the same data (what lunr.Index.load would give). */
  function lunrIndex(decoded) {
    var lunr = lib();
    function Posting(id) { this._index = id; }
    decoded.fields.forEach(function (f) {
      Object.defineProperty(Posting.prototype, f.name, {
        enumerable: true, configurable: true,
        get: function () { // lunr's {ref: metadata}, made when lunr first reads it
          var refs = {};
          for (var i = f.offsets[this._index]; i < f.offsets[this._index + 1]; i++) {
            refs[f.docs[i]] = EMPTY_METADATA;
          }
          Object.defineProperty(this, f.name, { value: refs, enumerable: true });
          return refs;
        }
      });
    });
    var invertedIndex = Object.create(null);
    decoded.vocab.forEach(function (t) { invertedIndex[t] = new Posting(decoded.termId[t]); });
    var fieldVectors = {};
    for (var d = 0; d < decoded.n; d++) {
      decoded.fields.forEach(function (f) {
        fieldVectors[f.name + '/' + d] = new lunr.Vector(f.vec.subarray(f.start[d], f.start[d + 1]));
      });
    }
    return new lunr.Index({
      invertedIndex: invertedIndex, fieldVectors: fieldVectors,
      tokenSet: lunr.TokenSet.fromArray(decoded.vocab), fields: decoded.fieldNames,
      pipeline: lunr.Pipeline.load(['stemmer'])
    });
  }

  /** Decoded parts -> lunr's serialized index, the JSON lunr.Index.load reads. */
  function serialized(decoded) {
    var fieldVectors = [];
    for (var d = 0; d < decoded.n; d++) {
      decoded.fields.forEach(function (f) {
        fieldVectors.push([f.name + '/' + d,
                           Array.prototype.slice.call(f.vec.subarray(f.start[d], f.start[d + 1]))]);
      });
    }
    var invertedIndex = decoded.vocab.map(function (t) {
      var id = decoded.termId[t], posting = { _index: id };
      decoded.fields.forEach(function (f) {
        var refs = posting[f.name] = {};
        for (var i = f.offsets[id]; i < f.offsets[id + 1]; i++) refs[f.docs[i]] = {};
      });
      return [t, posting];
    });
    return { version: decoded.version, fields: decoded.fieldNames, fieldVectors: fieldVectors,
             invertedIndex: invertedIndex, pipeline: ['stemmer'] };
  }

  /**
   * lunr.Index.prototype.query for our clauses (optional or prohibited; no pipeline),
   * step for step on the typed arrays: same expansions in the same order, same query
   * vectors, same field-by-field cosine sums in the same order, same stable sort. So the
   * results equal lunr's, score for score (tests/test_search.py checks), at a fraction
   * of the time and garbage.
   */
  function execute(engine, cls) {
    var r = run(engine, cls), results = new Array(r.count);
    for (var i = 0; i < r.count; i++) results[i] = { ref: String(r.docs[i]), score: r.scores[r.docs[i]] };
    return results.sort(function (a, b) { return b.score - a.score; });
  }

  /** execute() without the result objects: {docs (in lunr's pre-sort order), count, scores}. */
  function run(engine, cls) {
    var D = engine.data, n = D.n, F = D.fields.length, fi, i, d;
    var qWeight = [], qIds = [];
    for (fi = 0; fi < F; fi++) { qWeight.push(Object.create(null)); qIds.push([]); }
    var matched = new Uint8Array(F * n), pairs = new Int32Array(F * n), count = 0;
    var prohibited = new Uint8Array(n), cache = Object.create(null), negated = cls.length > 0;
    for (var c = 0; c < cls.length; c++) {
      var clause = cls[c], isProhibited = clause.presence === PROHIBITED;
      if (!isProhibited) negated = false;
      var expanded = expand(engine, clause);
      for (var e = 0; e < expanded.length; e++) {
        var t = D.termId[expanded[e]];
        for (var k = 0; k < clause.fields.length; k++) {
          fi = D.byName[clause.fields[k]];
          var f = D.fields[fi], a = f.offsets[t], b = f.offsets[t + 1], docs = f.docs;
          if (isProhibited) { for (i = a; i < b; i++) prohibited[docs[i]] = 1; continue; }
          var w = qWeight[fi];
          if (w[t] === undefined) { w[t] = clause.boost; qIds[fi].push(t); } else w[t] = w[t] + clause.boost;
          var key = t * F + fi;
          if (cache[key]) continue;
          cache[key] = true;
          var base = fi * n;
          for (i = a; i < b; i++) {
            var p = base + docs[i];
            if (!matched[p]) { matched[p] = 1; pairs[count++] = p; }
          }
        }
      }
    }
    if (negated) { // lunr: every field vector, in index order (paper by paper)
      count = 0;
      for (d = 0; d < n; d++) for (fi = 0; fi < F; fi++) pairs[count++] = fi * n + d;
    }
    // query vectors, dense (a weight per term index) for the dot products
    var dense = engine.scratch || (engine.scratch = []), qMag = [];
    for (fi = 0; fi < F; fi++) {
      if (!dense[fi]) dense[fi] = new Float64Array(D.termCount);
      var ids = qIds[fi].slice().sort(function (x, y) { return x - y; }), sum = 0;
      for (i = 0; i < ids.length; i++) {
        var val = qWeight[fi][ids[i]];
        sum += val * val; // lunr.Vector#magnitude, in term-index order
        dense[fi][ids[i]] = val;
      }
      qMag.push(Math.sqrt(sum));
    }
    var scores = new Float64Array(n), seen = new Uint8Array(n), order = new Int32Array(n), found = 0;
    for (i = 0; i < count; i++) {
      fi = (pairs[i] / n) | 0;
      d = pairs[i] - fi * n;
      if (prohibited[d]) continue;
      var field = D.fields[fi], vec = field.vec, q = dense[fi], dot = 0;
      // lunr.Vector#dot: the same products, added in the same term-index order
      for (var y = field.start[d], yEnd = field.start[d + 1]; y < yEnd; y += 2) {
        var qw = q[vec[y]];
        if (qw !== 0) dot += qw * vec[y + 1];
      }
      var score = dot / qMag[fi] || 0; // lunr.Vector#similarity
      if (!seen[d]) { seen[d] = 1; order[found++] = d; scores[d] = score; } else scores[d] += score;
    }
    for (fi = 0; fi < F; fi++) for (i = 0; i < qIds[fi].length; i++) dense[fi][qIds[fi][i]] = 0;
    return { docs: order, count: found, scores: scores };
  }

  /** Parts {meta, docs, text?} -> an engine that searches with execute(). */
  function load(parts) {
    return engineFor(decode(parts.meta, parts.text || null, parts.tokenSet), parts.meta,
                     parts.docs, !!parts.text);
  }

  function engineFor(data, meta, docsPart, full) {
    checkPart(docsPart, 'docs');
    return {
      data: data, vocab: data.vocab, docs: docsPart.docs, url: docsPart.url,
      fields: data.fieldNames, allFields: meta.fields.map(function (f) { return f[0]; }),
      full: full,
      tokenSet: function () {
        return data.tokenSet || (data.tokenSet = lib().TokenSet.fromArray(data.vocab));
      },
      hasTerm: function (t) { return data.termId[t] !== undefined; },
      termDocs: function (t, field) {
        var f = data.fields[data.byName[field]], id = data.termId[t];
        return f && id !== undefined ? f.docs.subarray(f.offsets[id], f.offsets[id + 1]) : [];
      },
      query: function (cls) { return execute(this, cls); },
      run: function (cls) { return run(this, cls); }
    };
  }

  /** A lunr.Index (e.g. lunr.Index.load of a plain index) -> an engine that asks lunr. */
  function lunrEngine(index, meta, docsPart, full) {
    var vocab = Object.keys(index.invertedIndex).sort();
    return {
      index: index, vocab: vocab, docs: docsPart.docs, url: docsPart.url, fields: index.fields,
      allFields: meta.fields.map(function (f) { return f[0]; }), full: full !== false,
      tokenSet: function () { return index.tokenSet; },
      hasTerm: function (t) { return Object.prototype.hasOwnProperty.call(index.invertedIndex, t); },
      termDocs: function (t, field) {
        var p = index.invertedIndex[t];
        return p && p[field] ? Object.keys(p[field]).map(Number) : [];
      },
      query: function (cls) {
        var lunr = lib();
        return index.query(function (q) {
          cls.forEach(function (c) { q.clause(toLunrClause(lunr, c)); });
        });
      }
    };
  }

  // ---- the query language -----------------------------------------------------------

  var OPTIONAL = 'optional', REQUIRED = 'required', PROHIBITED = 'prohibited';
  var QUOTES = '"\u201c\u201d\u201e';
  var CLOSE_QUOTES = '"\u201d\u201c';

  /**
   * What the user typed -> {items, hints, filters}. Never throws. An item is a word or a
   * phrase: {presence, explicit, field, phrase, text, tokens, wildcard, fuzzy, boost,
   * partial}; a filter is an exact test of a paper's facts (see parseFilter).
   */
  function parseQuery(input) {
    var s = String(input == null ? '' : input);
    var items = [], hints = [], filters = [], i = 0, n = s.length;
    var isSpace = function (ch) { return /\s/.test(ch); };
    while (i < n) {
      while (i < n && isSpace(s[i])) i++;
      if (i >= n) break;
      var start = i, presence = OPTIONAL, explicit = false;
      while (i < n && (s[i] === '+' || s[i] === '-')) {
        if (!explicit) { presence = s[i] === '+' ? REQUIRED : PROHIBITED; explicit = true; }
        i++;
      }
      var field = null;
      var fm = /^([A-Za-z]+):/.exec(s.slice(i, i + 20));
      var fname = fm ? fm[1].toLowerCase() : '';
      if (fm && !Object.prototype.hasOwnProperty.call(FIELD_ALIASES, fname)) {
        // a filter on facts (status:read), or a field that does not exist: never text
        var vend = i + fm[0].length;
        while (vend < n && !isSpace(s[vend])) vend++;
        var value = s.slice(i + fm[0].length, vend);
        i = vend;
        if (Object.prototype.hasOwnProperty.call(FILTERS, fname)) {
          var filter = parseFilter(fname, value, presence === PROHIBITED, hints);
          if (filter) filters.push(filter);
        } else {
          hints.push(unknownFieldHint(fm[1]));
        }
        continue;
      }
      if (fm) {
        field = FIELD_ALIASES[fm[1].toLowerCase()];
        i += fm[0].length;
        if (i >= n || isSpace(s[i])) {
          hints.push('Add a word after ' + fm[1] + ':, for example ' + fm[1].toLowerCase() +
                     ':' + exampleFor(field) + '.');
          continue;
        }
      }
      var item = { presence: presence, explicit: explicit, field: field, phrase: false,
                   text: '', tokens: [], wildcard: false, fuzzy: null, boost: 1,
                   partial: false, raw: '' };
      if (QUOTES.indexOf(s[i]) >= 0) {
        i++;
        var end = i;
        while (end < n && CLOSE_QUOTES.indexOf(s[end]) < 0) end++;
        item.phrase = true;
        item.text = s.slice(i, end);
        item.open = end >= n;
        if (!item.text.trim()) hints.push('Type words between the quotes, for example "long context".');
        else if (item.open) hints.push('A closing quote is missing; searching for "' + item.text.trim() + '".');
        i = Math.min(end + 1, n);
        item.raw = s.slice(start, i);
        setTokens(item, item.text);
        item.partial = item.open && !isSpace(s[n - 1]);
      } else {
        var wend = i;
        while (wend < n && !isSpace(s[wend])) wend++;
        var word = s.slice(i, wend);
        item.raw = s.slice(start, wend);
        i = wend;
        for (;;) {
          var m;
          if (/\*$/.test(word)) { item.wildcard = true; word = word.slice(0, -1); }
          else if ((m = /~(\d*)$/.exec(word))) {
            item.fuzzy = Math.min(m[1] === '' ? 1 : parseInt(m[1], 10), MAX_FUZZ);
            word = word.slice(0, m.index);
          } else if ((m = /\^(\d*(?:\.\d+)?)$/.exec(word))) {
            var b = parseFloat(m[1]);
            if (b > 0 && isFinite(b)) item.boost = Math.min(b, 100);
            word = word.slice(0, m.index);
          } else break;
        }
        item.text = word;
        setTokens(item, word);
        if (!item.tokens.length) {
          if (/[*~^]/.test(item.raw)) {
            hints.push('Put a word before *, ~ or ^, for example atten*, transfomer~1 or attention^2.');
          }
          continue;
        }
        item.partial = wend >= n && !item.wildcard && item.fuzzy === null &&
          item.presence !== PROHIBITED;
      }
      if (item.tokens.length) items.push(item);
    }
    return { items: items, hints: hints, filters: filters };
  }

  /** An item's words, and of each the CJK run it is from (see split). */
  function setTokens(item, text) {
    var found = split(text);
    item.tokens = found.tokens;
    item.runs = found.runs;
    item.cjk = found.texts;
  }

  function exampleFor(field) {
    return { title: 'attention', author: 'sun', tag: 'long-context', year: '2024',
             venue: 'acl', org: 'tsinghua', abstract: 'retrieval', notes: 'todo' }[field] || 'word';
  }

  // sorted-vocabulary look-ups
  function lowerBound(vocab, s) {
    var lo = 0, hi = vocab.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (vocab[mid] < s) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function inVocab(vocab, s) { var i = lowerBound(vocab, s); return i < vocab.length && vocab[i] === s; }
  function vocabHasPrefix(vocab, s) {
    var i = lowerBound(vocab, s);
    return i < vocab.length && vocab[i].slice(0, s.length) === s;
  }

  /**
   * A word typed as a prefix -> its alternatives: `p*`; the stem of p, boosted, when it is
   * indexed (the index holds stems, and a wildcard skips the stemmer: distill* must also
   * find "distil"; and sun should rank Sun above Sunez); else, when nothing starts with p,
   * the longest indexed stem p starts with ("attenti" is on its way to "attention",
   * indexed as "attent").
   */
  function prefixAlternatives(p, vocab) {
    var alts = [{ term: p, wildcard: true }];
    var st = stem(p);
    // an exact word outranks words it is the start of (sun: Sun before Sunez)
    if (inVocab(vocab, st)) alts.push({ term: st, boost: EXACT_BOOST });
    else if (!vocabHasPrefix(vocab, p)) {
      for (var k = p.length - 1; k >= Math.max(3, p.length - 5); k--) {
        if (inVocab(vocab, p.slice(0, k))) { alts.push({ term: p.slice(0, k) }); break; }
      }
    }
    return alts;
  }

  /**
   * A lone CJK letter -> the indexed words holding it (the pairs it begins or ends, and
   * itself where it stood alone): every paper with the letter anywhere.
   */
  function cjkAlternatives(letter, vocab) {
    var alts = [];
    for (var i = lowerBound(vocab, CJK_FIRST); i < vocab.length; i++) {
      if (vocab[i].indexOf(letter) >= 0) alts.push({ term: vocab[i] });
    }
    return alts.length ? alts : [{ term: letter }];
  }

  /**
   * Parsed query + index vocabulary -> {groups, phrases, runs, cjk, hints}. A group is
   * one word of the query: alternatives (lunr clauses), the fields it is looked for in, a
   * presence. Field filters (author:sun) and phrases are required; +word required, -word
   * excluded. A run of CJK letters is one word to its user: its pairs of letters are
   * groups that share a `run` number, and a paper matches the run when it has them all
   * (searchParsed); `runs` lists the excluded runs of several pairs (-语言模型 excludes
   * the papers with all of them, not those with any), `cjk` the others' text (to mark).
   */
  function plan(parsed, engine, allFields) {
    var vocab = Array.isArray(engine) ? engine : engine.vocab;
    var groups = [], phrases = [], runs = [], cjk = [], hints = parsed.hints.slice();
    var stopOnly = [], runCount = 0;
    parsed.items.forEach(function (item) {
      var fields = item.field ? [item.field] : allFields.slice();
      var presence = item.presence;
      if (!item.explicit && (item.field || item.phrase)) presence = REQUIRED;
      var itemRuns = item.runs || item.tokens.map(function () { return -1; });
      var base = runCount;
      runCount += (item.cjk || []).length;
      if (presence !== PROHIBITED) cjk.push.apply(cjk, item.cjk || []);
      if (item.phrase && item.tokens.length > 1) {
        phrases.push({ tokens: item.tokens, fields: fields, negate: presence === PROHIBITED,
                       partial: item.partial });
        if (presence === PROHIBITED) return; // excluded by the phrase check, not per word
      }
      var excluded = Object.create(null); // run number -> its groups (an excluded run)
      item.tokens.forEach(function (tok, ti) {
        var last = ti === item.tokens.length - 1;
        var alts;
        if (itemRuns[ti] >= 0) { // CJK: a pair of letters as it is, or a lone letter
          var run = base + itemRuns[ti];
          var group = { word: tok, alternatives: [{ term: tok }], fields: fields,
                        presence: presence, boost: item.boost, run: run };
          if (Array.from(tok).length < 2) {
            group.alternatives = cjkAlternatives(tok, vocab);
            delete group.run; // any pair that holds the letter will do
          }
          var several = itemRuns.filter(function (r) { return r === itemRuns[ti]; }).length > 1;
          if (presence === PROHIBITED && several) {
            (excluded[run] || (excluded[run] = [])).push(group);
          } else {
            groups.push(group);
          }
          return;
        }
        if (item.fuzzy !== null) {
          if (isStopWord(tok) && !item.fuzzy) { stopOnly.push(tok); return; }
          alts = [{ term: stem(tok), editDistance: item.fuzzy }];
        } else if ((item.wildcard || item.partial) && last &&
                   (item.wildcard || tok.length >= MIN_PARTIAL)) {
          alts = prefixAlternatives(tok, vocab);
        } else if (isStopWord(tok)) {
          stopOnly.push(tok);
          return;
        } else {
          alts = [{ term: stem(tok) }];
        }
        groups.push({ word: tok, alternatives: alts, fields: fields, presence: presence,
                      boost: item.boost });
      });
      Object.keys(excluded).forEach(function (r) { runs.push(excluded[r]); });
    });
    if (!groups.some(function (g) { return g.presence !== PROHIBITED; }) && stopOnly.length) {
      hints.push('"' + stopOnly.join(' ') + '" is too common to search for; add another word.');
    }
    return { groups: groups, phrases: phrases, runs: runs, cjk: cjk, hints: hints };
  }

  /** A plan -> lunr clauses, as plain objects (tests replay them in lunr.py). */
  function clauses(p, indexFields) {
    var out = [];
    p.groups.forEach(function (g) {
      var fields = g.fields.filter(function (f) { return indexFields.indexOf(f) >= 0; });
      if (!fields.length) return;
      g.alternatives.forEach(function (a) {
        out.push({ term: a.term, fields: fields, boost: g.boost * (a.boost || 1),
                   presence: g.presence === PROHIBITED ? PROHIBITED : OPTIONAL,
                   wildcard: !!a.wildcard, editDistance: a.editDistance || 0 });
      });
    });
    return out;
  }

  /** One of our clauses -> lunr.Query#clause's argument. */
  function toLunrClause(lunr, c) {
    var clause = {
      term: c.term, fields: c.fields, boost: c.boost, usePipeline: false,
      wildcard: c.wildcard ? lunr.Query.wildcard.TRAILING : lunr.Query.wildcard.NONE,
      presence: c.presence === PROHIBITED ? lunr.Query.presence.PROHIBITED
        : lunr.Query.presence.OPTIONAL
    };
    // lunr.js tests `'editDistance' in clause`: even 0 would make it a (wildcard-less)
    // fuzzy match, so only set it when there is one
    if (c.editDistance) clause.editDistance = c.editDistance;
    return clause;
  }

  /**
   * The index terms a clause matches: what lunr's TokenSet would give (for a prefix, in
   * vocabulary order rather than the TokenSet's, which changes no score beyond rounding).
   */
  function expand(engine, c) {
    if (!c.wildcard && !c.editDistance) return engine.hasTerm(c.term) ? [c.term] : [];
    if (c.wildcard && !c.editDistance && engine.data) {
      var vocab = engine.vocab, out = [];
      for (var i = lowerBound(vocab, c.term); i < vocab.length &&
           vocab[i].slice(0, c.term.length) === c.term; i++) out.push(vocab[i]);
      return out;
    }
    var lunr = lib();
    var term = c.wildcard ? c.term + '*' : c.term;
    var set = c.editDistance ? lunr.TokenSet.fromFuzzyString(term, c.editDistance)
      : lunr.TokenSet.fromString(term);
    return engine.tokenSet().intersect(set).toArray();
  }

  /** Papers holding any of a group's words in any of its (loaded) fields. */
  function groupDocs(engine, g) {
    var mask = new Uint8Array(engine.docs.length), any = false;
    var fields = g.fields.filter(function (f) { return engine.fields.indexOf(f) >= 0; });
    g.alternatives.forEach(function (a) {
      expand(engine, a).forEach(function (term) {
        fields.forEach(function (f) {
          var docs = engine.termDocs(term, f);
          for (var i = 0; i < docs.length; i++) { mask[docs[i]] = 1; any = true; }
        });
      });
    });
    return any ? mask : null;
  }

  /** Papers holding every group's words (a CJK run's pairs of letters); null: none. */
  function allDocs(engine, gs) {
    var mask = null;
    for (var i = 0; i < gs.length; i++) {
      var docs = groupDocs(engine, gs[i]);
      if (!docs) return null;
      if (mask) for (var d = 0; d < mask.length; d++) mask[d] &= docs[d];
      else mask = docs;
    }
    return mask;
  }

  /**
   * The papers an optional CJK run of several pairs may bring: those with the whole run,
   * or with another word of the query (lunr's answer also has the papers with only some
   * of the run's pairs: "语言模型" is no match for a paper about 模型 alone). Null: all.
   */
  function runFilter(engine, p) {
    var byRun = Object.create(null), several = false, others = [];
    p.groups.forEach(function (g) {
      if (g.presence !== OPTIONAL) return;
      if (g.run === undefined) { others.push(g); return; }
      var gs = byRun[g.run] || (byRun[g.run] = []);
      gs.push(g);
      if (gs.length > 1) several = true;
    });
    if (!several) return null;
    var keep = new Uint8Array(engine.docs.length);
    Object.keys(byRun).map(function (r) { return allDocs(engine, byRun[r]); })
      .concat(others.map(function (g) { return groupDocs(engine, g); }))
      .forEach(function (docs) {
        if (docs) for (var d = 0; d < keep.length; d++) keep[d] |= docs[d];
      });
    return keep;
  }

  /**
   * Run a query on an engine -> {results, hints, pending, plan}. A result is {ref, score,
   * doc, phrase}. Order: papers with the exact phrase (where we can see it: title,
   * authors, venue, snippet) first, then by lunr score, then newest first (index order).
   */
  function search(engine, query) {
    return searchParsed(engine, parseQuery(query));
  }

  function searchParsed(engine, parsed) {
    var p = plan(parsed, engine, engine.allFields);
    var out = { results: [], hints: p.hints, pending: false, plan: p,
                empty: !p.groups.length && !p.phrases.length && !p.runs.length };
    var cls = clauses(p, engine.fields);
    var required = p.groups.filter(function (g) { return g.presence === REQUIRED; });
    // a required word only in fields not loaded yet (abstract:x): wait for them
    if (required.some(function (g) {
      return !g.fields.some(function (f) { return engine.fields.indexOf(f) >= 0; });
    })) {
      out.pending = true;
      return out;
    }
    var positive = cls.some(function (c) { return c.presence !== PROHIBITED; });
    // only -words: lunr's answer is every paper without them; a lone phrase of common
    // words or no clause at all: nothing to look for (lunr would return every paper)
    // (-语言模型 alone: an excluded run of CJK letters, no clause of its own, is one too)
    var negatedOnly = !positive && (cls.length > 0 || p.runs.length > 0) &&
      !p.phrases.some(function (ph) { return !ph.negate; });
    if (!positive && !negatedOnly) return out;
    var masks = [];
    for (var i = 0; i < required.length; i++) {
      var mask = groupDocs(engine, required[i]);
      if (!mask) return out;
      masks.push(mask);
    }
    var keep = required.length ? null : runFilter(engine, p);
    var drop = (p.runs || []).map(function (gs) { return allDocs(engine, gs); })
      .filter(Boolean);
    var hits;
    if (!cls.length) { // only excluded runs: every paper, in index order, less those below
      var all = new Int32Array(engine.docs.length);
      for (i = 0; i < all.length; i++) all[i] = i;
      hits = { docs: all, count: all.length, scores: new Float64Array(all.length) };
    } else if (engine.run) {
      hits = engine.run(cls);
    } else { // a lunr.Index
      var raw = engine.query(cls), scores = new Float64Array(engine.docs.length);
      hits = { docs: raw.map(function (r) { scores[+r.ref] = r.score; return +r.ref; }),
               count: raw.length, scores: scores };
    }
    var results = [], positivePhrase = p.phrases.some(function (x) { return !x.negate; });
    outer: for (var h = 0; h < hits.count; h++) {
      var d = hits.docs[h];
      for (i = 0; i < masks.length; i++) if (!masks[i][d]) continue outer;
      if (keep && !keep[d]) continue;
      for (i = 0; i < drop.length; i++) if (drop[i][d]) continue outer;
      var hit = true;
      for (i = 0; i < p.phrases.length; i++) {
        var ph = p.phrases[i], found = phraseIn(engine, d, ph);
        if (ph.negate && found) continue outer;
        if (!ph.negate && !found) hit = false;
      }
      results.push({ ref: String(d), score: hits.scores[d], doc: engine.docs[d],
                     phrase: hit && positivePhrase, key: Math.round(hits.scores[d] * 1e9) });
    }
    results.sort(function (a, b) {
      return (b.phrase - a.phrase) || (b.key - a.key) || (+a.ref - +b.ref);
    });
    out.results = results;
    return out;
  }

  // doc rows: [slug, title, [author, ...], year, venue, snippet]; the authors end with
  // ET_AL when the paper has more (generator/search.py's result_row)
  var DOC_FIELDS = { title: [1], author: [2], venue: [4], year: [3] };
  var ET_AL = 'et al.';

  function hasMore(names) { return names.length > 1 && names[names.length - 1] === ET_AL; }

  /** A row's authors as one line: "A, B, C et al.". */
  function authorsText(names) {
    return hasMore(names) ? names.slice(0, -1).join(', ') + ' ' + ET_AL : names.join(', ');
  }

  /** Does paper d show the phrase's words in a row (in the text we have of it)? */
  function phraseIn(engine, d, ph) {
    var cache = engine.docWords || (engine.docWords = []);
    var have = cache[d];
    if (!have) {
      var doc = engine.docs[d];
      have = cache[d] = {};
      [1, 2, 3, 4, 5].forEach(function (c) {
        have[c] = words(c === 2 ? authorsText(doc[2]) : doc[c] == null ? '' : doc[c]);
      });
    }
    var cols = [];
    ph.fields.forEach(function (f) {
      (DOC_FIELDS[f] || (f === 'abstract' || f === 'notes' ? [5] : [])).forEach(function (c) {
        if (cols.indexOf(c) < 0) cols.push(c);
      });
    });
    var want = ph.tokens;
    return cols.some(function (c) {
      var ws = have[c];
      outer: for (var i = 0; i + want.length <= ws.length; i++) {
        for (var j = 0; j < want.length; j++) {
          var last = j === want.length - 1;
          if (ws[i + j] !== want[j] &&
              !(last && ph.partial && ws[i + j].slice(0, want[j].length) === want[j])) continue outer;
        }
        return true;
      }
      return false;
    });
  }

  // ---- highlighting -----------------------------------------------------------------

  /** Optimal-string-alignment distance (lunr's fuzzy edits: insert, delete, substitute, swap) <= k? */
  function editDistanceAtMost(a, b, k) {
    if (Math.abs(a.length - b.length) > k) return false;
    var rows = [], i, j;
    for (i = 0; i <= a.length; i++) {
      rows.push([i]);
      for (j = 1; j <= b.length; j++) {
        if (i === 0) { rows[0][j] = j; continue; }
        var d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1,
                         rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d = Math.min(d, rows[i - 2][j - 2] + 1);
        }
        rows[i][j] = d;
      }
    }
    return rows[a.length][b.length] <= k;
  }

  /**
   * A plan -> word predicate: does this (lower-case) word match the query? Its `cjk`:
   * the query's runs of CJK letters, marked wherever they stand in a longer run.
   */
  function matcher(p) {
    var exact = Object.create(null), prefixes = [], fuzzy = [], raw = Object.create(null);
    p.groups.forEach(function (g) {
      if (g.presence === PROHIBITED) return;
      raw[g.word] = true;
      g.alternatives.forEach(function (a) {
        if (a.wildcard) prefixes.push(a.term);
        else if (a.editDistance) fuzzy.push(a);
        else exact[a.term] = true;
      });
    });
    var isMatch = function (w) {
      if (raw[w]) return true;
      if (isStopWord(w)) return false;
      var s = stem(w);
      if (exact[s]) return true;
      for (var i = 0; i < prefixes.length; i++) {
        if (w.slice(0, prefixes[i].length) === prefixes[i] ||
            s.slice(0, prefixes[i].length) === prefixes[i]) return true;
      }
      for (i = 0; i < fuzzy.length; i++) {
        if (editDistanceAtMost(s, fuzzy[i].term, fuzzy[i].editDistance)) return true;
      }
      return false;
    };
    isMatch.cjk = p.cjk || [];
    return isMatch;
  }

  /**
   * A run of CJK letters as written + the query's runs (normalized) -> where they stand
   * in it: [start, end] offsets into the run as written, in order. The run is compared
   * normalized (half-width ｶﾀｶﾅ is カタカナ), letter by letter.
   */
  function cjkMarks(piece, runs) {
    var norm = normalize(piece), on = new Uint8Array(norm.length), out = [];
    runs.forEach(function (q) {
      for (var k = norm.indexOf(q); k >= 0; k = norm.indexOf(q, k + 1)) {
        for (var j = k; j < k + q.length; j++) on[j] = 1;
      }
    });
    var same = norm.length === piece.length, before = 0, marked = false;
    for (var i = 0; i < piece.length;) {
      var width = piece.codePointAt(i) > 0xffff ? 2 : 1;
      var after = same ? i + width : normalize(piece.slice(0, i + width)).length;
      // a letter NFKC joins to the one before (ｶﾞ: ガ) is marked as that one is
      if (after > before) marked = on.subarray(before, after).indexOf(1) >= 0;
      if (marked && out.length && out[out.length - 1][1] === i) out[out.length - 1][1] = i + width;
      else if (marked) out.push([i, i + width]);
      before = Math.max(before, after);
      i += width;
    }
    return out;
  }

  /** Text + predicate -> [[text, isMatch], ...] covering the text exactly. */
  function segments(text, isMatch) {
    var out = [], last = 0, m;
    var str = String(text == null ? '' : text);
    var re = new RegExp(WORD_RE.source, 'gu');
    var cjk = isMatch.cjk || [];
    function mark(start, end) {
      if (start > last) out.push([str.slice(last, start), false]);
      out.push([str.slice(start, end), true]);
      last = end;
    }
    while ((m = re.exec(str))) {
      if (!CJK_RE.test(m[0])) {
        if (isMatch(normalize(m[0]))) mark(m.index, m.index + m[0].length);
        continue;
      }
      var at = m.index; // a word with CJK letters: its other letters are words of their own
      m[0].match(CJK_OR_NOT_RE).forEach(function (piece) {
        if (!CJK_RE.test(piece)) {
          if (isMatch(normalize(piece))) mark(at, at + piece.length);
        } else if (cjk.length) {
          cjkMarks(piece, cjk).forEach(function (r) { mark(at + r[0], at + r[1]); });
        }
        at += piece.length;
      });
    }
    if (last < str.length) out.push([str.slice(last), false]);
    return out;
  }

  // ---- filters on facts, sorts, facet counts (search/facets.js) -----------------------
  //
  // status:read, rating:>=4, has:notes and in:tags/rag test what the build knows of each
  // paper (facets.js: per paper in document order its status, rating, flags, date added
  // and the lists it is on), never the text index. They narrow a text search, or alone
  // list every paper that passes.

  var FILTERS = { status: 'status', rating: 'rating', has: 'has', 'in': 'in' };
  var FLAGS = { notes: 1, note: 1, code: 2, pdf: 4 };
  var KNOWN_FIELDS = ['title', 'author', 'tag', 'org', 'venue', 'year', 'abstract', 'notes',
                      'status', 'rating', 'has', 'in'];
  var SORTS = ['relevance', 'date', 'added', 'added-oldest', 'rating', 'title'];
  var STATUSES = ['unread', 'reading', 'read'];

  function editDistance(a, b) {
    var prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      for (j = 1; j <= b.length; j++) {
        cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
      }
      prev = cur;
    }
    return prev[b.length];
  }

  /** The hint for a field that does not exist: the closest known one, and all of them. */
  function unknownFieldHint(name) {
    var low = name.toLowerCase(), best = null, bestD = 3;
    KNOWN_FIELDS.concat(Object.keys(FIELD_ALIASES)).forEach(function (f) {
      var d = editDistance(low, f);
      if (d < bestD) { bestD = d; best = FIELD_ALIASES[f] || f; }
    });
    return 'There is no field ' + name + ':' + (best ? '; did you mean ' + best + ':?' : '.') +
      ' Fields: ' + KNOWN_FIELDS.map(function (f) { return f + ':'; }).join(' ') + '.';
  }

  /**
   * One typed filter -> {field, negate, raw, ...} or null with a hint. status: one of
   * STATUSES; rating: N, >=N, >N, <=N, <N (1..5, rated papers only) or none; has: notes,
   * code or pdf; in: a list page's folder (tags/rag, years/2024...).
   */
  function parseFilter(field, value, negate, hints) {
    var low = value.toLowerCase(), f = { field: field, negate: negate, raw: field + ':' + low };
    if (!value) {
      hints.push('Add a value after ' + field + ':, for example ' + field + ':' +
                 { status: 'read', rating: '>=4', has: 'notes', 'in': 'tags/rag' }[field] + '.');
      return null;
    }
    if (field === 'status') {
      if (STATUSES.indexOf(low) < 0) {
        hints.push('status: takes ' + STATUSES.join(', ') + ' (not ' + value + ').');
        return null;
      }
      f.value = STATUSES.indexOf(low);
    } else if (field === 'rating') {
      var m = /^(>=|<=|>|<|=)?([0-9])$/.exec(low);
      if (low === 'none') { f.op = 'none'; }
      else if (m && +m[2] <= 5 && (+m[2] >= 1 || m[1] === '>' || m[1] === '>=')) {
        f.op = m[1] || '='; f.value = +m[2];  // (>0 and >=0: every rated paper)
      }
      else {
        hints.push('rating: takes a number from 1 to 5, >=4, >3, <=2, <2 or none (not ' + value + ').');
        return null;
      }
    } else if (field === 'has') {
      if (!Object.prototype.hasOwnProperty.call(FLAGS, low)) { hints.push('has: takes notes, code or pdf (not ' + value + ').'); return null; }
      f.value = FLAGS[low];
    } else {
      f.value = low.replace(/^\/+|\/+$/g, '').replace(/\/index\.html$/, '');
      f.raw = 'in:' + f.value;
    }
    return f;
  }

  /** facets.js's payload -> per paper typed arrays and the lists by folder. */
  function decodeFacets(payload) {
    if (!payload || payload.format !== FORMAT || payload.part !== 'facets') {
      throw new Error('search facets have an unknown format');
    }
    var n = payload.docCount, facts = payload.facts;
    var status = new Uint8Array(n), rating = new Uint8Array(n), flags = new Uint8Array(n);
    for (var d = 0; d < n; d++) {
      status[d] = facts.charCodeAt(3 * d) - 48;
      rating[d] = facts.charCodeAt(3 * d + 1) - 48;
      flags[d] = facts.charCodeAt(3 * d + 2) - 48;
    }
    var lists = Object.create(null), terms = Object.create(null), members = Object.create(null);
    payload.kinds.forEach(function (kind, k) {
      terms[kind] = payload.terms[k];
      members[kind] = payload.members[k];
      payload.terms[k].forEach(function (t, id) { lists[t[0]] = { kind: kind, id: id, name: t[1], count: t[2] }; });
    });
    return { n: n, statuses: payload.statuses, status: status, rating: rating, flags: flags,
             added: payload.added, terms: terms, members: members, lists: lists };
  }

  /** The papers on a list page (its folder, e.g. tags/rag), as a mask; null: no such list. */
  function listMask(facets, path) {
    var list = facets.lists[path];
    if (!list) return null;
    var mask = new Uint8Array(facets.n), rows = facets.members[list.kind];
    for (var d = 0; d < facets.n; d++) if (rows[d].indexOf(list.id) >= 0) mask[d] = 1;
    return mask;
  }

  /** filters -> a test of paper d (and hints for lists that do not exist). */
  function filterTest(facets, filters, hints) {
    var tests = [];
    filters.forEach(function (f) {
      var t;
      if (f.field === 'status') t = function (d) { return facets.status[d] === f.value; };
      else if (f.field === 'has') t = function (d) { return (facets.flags[d] & f.value) !== 0; };
      else if (f.field === 'rating') {
        t = function (d) {
          var r = facets.rating[d];
          if (f.op === 'none') return r === 0;
          if (r === 0) return false;
          return f.op === '=' ? r === f.value : f.op === '>=' ? r >= f.value : f.op === '>' ? r > f.value
            : f.op === '<=' ? r <= f.value : r < f.value;
        };
      } else {
        var mask = listMask(facets, f.value);
        if (!mask) { hints.push('There is no list ' + f.value + '; try in:tags/NAME, in:years/2024 or in:venues/NAME.'); mask = new Uint8Array(facets.n); }
        t = function (d) { return mask[d] === 1; };
      }
      tests.push(f.negate ? function (d) { return !t(d); } : t);
    });
    return function (d) {
      for (var i = 0; i < tests.length; i++) if (!tests[i](d)) return false;
      return true;
    };
  }

  function titleKey(doc) { return normalize(doc[1]); }

  /** results (each with .ref) in place, by sort: ties keep the order they came in. */
  function sortResults(results, sort, facets, engine) {
    var by;
    if (sort === 'date') by = function (a, b) { return +a.ref - +b.ref; };
    else if (sort === 'added') by = function (a, b) { return facets.added[+b.ref] - facets.added[+a.ref]; };
    else if (sort === 'added-oldest') { // as the queue: no date added last
      var day = function (r) { return facets.added[+r.ref] || Infinity; };
      by = function (a, b) { return day(a) - day(b) || 0; };
    }
    else if (sort === 'rating') by = function (a, b) { return facets.rating[+b.ref] - facets.rating[+a.ref]; };
    else if (sort === 'title') {
      var keys = Object.create(null);
      results.forEach(function (r) { keys[r.ref] = titleKey(engine.docs[+r.ref]); });
      by = function (a, b) { return keys[a.ref] < keys[b.ref] ? -1 : keys[a.ref] > keys[b.ref] ? 1 : 0; };
    }
    if (by) results.sort(by);
    return results;
  }

  function needsFacets(parsed, opts) {
    return parsed.filters.length > 0 || !!opts.scope || /^(added|added-oldest|rating)$/.test(opts.sort);
  }

  /**
   * The full query: text (search()), filters, a list scope and a sort ->
   * {results, hints, pending, plan, empty, sort, needsFacets}. opts: {facets (decoded;
   * absent: not loaded yet), scope (a list's folder, '' for all), sort (one of SORTS;
   * default: relevance with text, date without)}. No words and no filters: nothing,
   * unless a scope or a sort is asked for (then every paper, e.g. the whole list sorted).
   */
  function query(engine, q, opts) {
    opts = opts || {};
    var parsed = parseQuery(q), text = parsed.items.length > 0;
    var sort = SORTS.indexOf(opts.sort) >= 0 && !(opts.sort === 'relevance' && !text) ? opts.sort
      : text ? 'relevance' : 'date';
    var out = text ? searchParsed(engine, parsed)
      : { results: [], hints: parsed.hints.slice(), pending: false, plan: plan(parsed, engine, engine.allFields),
          empty: !parsed.filters.length && !opts.scope && SORTS.indexOf(opts.sort) < 0 };
    out.sort = sort;
    out.needsFacets = needsFacets(parsed, { scope: opts.scope, sort: sort });
    if (out.empty || out.pending) return out;
    if (out.needsFacets && !opts.facets) { out.results = []; out.pending = true; return out; }
    if (!text) {
      for (var d = 0; d < engine.docs.length; d++) {
        out.results.push({ ref: String(d), score: 0, doc: engine.docs[d], phrase: false });
      }
    }
    var filters = parsed.filters.slice();
    if (opts.scope) filters.push({ field: 'in', negate: false, value: opts.scope });
    if (filters.length) {
      var test = filterTest(opts.facets, filters, out.hints);
      out.results = out.results.filter(function (r) { return test(+r.ref); });
    }
    sortResults(out.results, sort, opts.facets, engine);
    return out;
  }

  /**
   * Facet counts over results: {status: [per status], rating: [none, 1..5], tags, years,
   * venues: [[folder, name, count]...] (most first, then in the list's own order)}.
   */
  function facetCounts(facets, refs) {
    var status = [0, 0, 0], rating = [0, 0, 0, 0, 0, 0], out = { status: status, rating: rating, total: refs.length };
    ['tags', 'years', 'venues'].forEach(function (kind) { // (not authors: thousands, unshown)
      var counts = Object.create(null), rows = facets.members[kind], terms = facets.terms[kind];
      refs.forEach(function (d) { rows[d].forEach(function (id) { counts[id] = (counts[id] || 0) + 1; }); });
      out[kind] = Object.keys(counts).map(Number).sort(function (a, b) { return counts[b] - counts[a] || a - b; })
        .map(function (id) { return [terms[id][0], terms[id][1], counts[id]]; });
    });
    refs.forEach(function (d) { status[facets.status[d]]++; rating[facets.rating[d]]++; });
    return out;
  }

  var api = {
    FORMAT: FORMAT, GLOBAL: GLOBAL, FIELD_ALIASES: FIELD_ALIASES,
    words: words, stem: stem, isStopWord: isStopWord, terms: terms,
    decoder: decoder, decode: decode, serialized: serialized, lunrIndex: lunrIndex,
    execute: execute, load: load, engineFor: engineFor, lunrEngine: lunrEngine,
    parseQuery: parseQuery, plan: plan, clauses: clauses, search: search,
    toLunrClause: toLunrClause, matcher: matcher, segments: segments, phraseIn: phraseIn,
    split: split,
    editDistanceAtMost: editDistanceAtMost, query: query, decodeFacets: decodeFacets,
    facetCounts: facetCounts, listMask: listMask, SORTS: SORTS, authorsText: authorsText
  };

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = api;
    return;
  }
  if (typeof document === 'undefined') return;

  // ---- the page: loading ------------------------------------------------------------

  var loader = {
    started: false, meta: null, docs: null, text: null, engine: null, error: null,
    listeners: [], base: '', config: null, textRequested: false, building: false,
    facets: null, facetsRequested: false, facetsError: false,
    bib: null, bibRequested: false, bibWaiters: []
  };

  function notify() {
    loader.listeners.forEach(function (fn) { try { fn(); } catch (e) { /* keep others */ } });
  }

  function addScript(src, part) {
    var s = document.createElement('script');
    s.src = src;
    s.async = true;
    s.onload = step;
    s.onerror = function () {
      if (part === 'text') loader.textError = true; // titles and authors still work
      else if (part === 'facets') loader.facetsError = true;
      else if (part === 'bib') loader.bibError = true;
      else loader.error = 'The search index could not be loaded.';
      notify();
    };
    document.head.appendChild(s);
  }

  /** fn, after the next frame is painted (or soon, in a tab that paints no frames). */
  function afterPaint(fn) {
    var done = false;
    var once = function () { if (!done) { done = true; fn(); } };
    if (global.requestAnimationFrame) {
      global.requestAnimationFrame(function () { setTimeout(once, 0); });
    }
    setTimeout(once, 100);
  }

  function receive(entry) {
    if (!entry || typeof entry[0] !== 'string') return;
    if (entry[0] === 'meta' || entry[0] === 'docs' || entry[0] === 'text') loader[entry[0]] = entry[1];
    if (entry[0] === 'facets') {
      try { loader.facets = decodeFacets(entry[1]); } catch (e) { loader.facetsError = true; }
      notify();
    }
    if (entry[0] === 'bib') {
      loader.bib = entry[1] && entry[1].entries || {};
      var waiting = loader.bibWaiters;
      loader.bibWaiters = [];
      waiting.forEach(function (fn) { fn(); });
    }
    step();
  }

  function step() {
    if (!global.lunr || !loader.meta || !loader.docs || loader.error) return;
    if (!loader.engine) { // titles and authors: at once, the first results come from here
      try { loader.engine = load({ meta: loader.meta, docs: loader.docs }); } catch (e) {
        loader.error = 'The search index could not be read.';
        notify();
        return;
      }
      notify();
    }
    if (!loader.textRequested) { // once the first results are painted: not in their way
      loader.textRequested = true;
      afterPaint(function () { addScript(loader.base + loader.config.text, 'text'); });
    }
    if (loader.text && !loader.building) { // abstracts and notes: in slices, between keys
      loader.building = true;
      var meta = loader.meta, dec = decoder(meta, loader.text, true), i = 0;
      loader.text = null;
      var next = function () {
        var t0 = Date.now();
        try {
          while (i < dec.steps.length) { dec.steps[i++](); if (Date.now() - t0 > 15) break; }
        } catch (e) {
          loader.textError = true;
          notify();
          return;
        }
        if (i < dec.steps.length) { setTimeout(next, 0); return; }
        loader.engine = engineFor(dec.result(), meta, loader.docs, true);
        notify();
      };
      setTimeout(next, 0);
    }
  }

  /** search/facets.js: the facts filters, sorts and facet counts need (lazily, once). */
  function startFacets() {
    if (loader.facetsRequested || !loader.config) return;
    loader.facetsRequested = true;
    addScript(loader.base + loader.config.facets, 'facets');
  }

  /** fn once search/bib.js (slug -> BibTeX entry) is loaded. */
  function withBib(fn) {
    if (loader.bib) { fn(); return; }
    loader.bibWaiters.push(fn);
    if (!loader.bibRequested) {
      loader.bibRequested = true;
      addScript(loader.base + loader.config.bib, 'bib');
    }
  }

  function startLoading() {
    if (loader.started) return;
    loader.started = true;
    var c = loader.config;
    if (!global.lunr) addScript(loader.base + c.lunr);
    addScript(loader.base + c.meta);
    addScript(loader.base + c.docs);
  }

  // ---- the page: widgets ------------------------------------------------------------

  var widgetCount = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function highlighted(tag, cls, text, isMatch) {
    var e = el(tag, cls);
    segments(text, isMatch).forEach(function (seg) {
      if (seg[1]) e.appendChild(el('mark', null, seg[0]));
      else e.appendChild(document.createTextNode(seg[0]));
    });
    return e;
  }

  /**
   * The names config.highlight_authors lists (<html data-rl-mine>, JSON), in every spelling
   * the papers show them (the build matched them by site.name_identity): a result's name,
   * as docs.js spells it, is one of the user's own when it is in this list.
   */
  function mineNames() {
    try {
      var names = JSON.parse(document.documentElement.getAttribute('data-rl-mine') || '[]');
      return Array.isArray(names) ? names.map(String) : [];
    } catch (e) { return []; }
  }

  /** A result's authors ("A, B, C et al."), the highlighted ones in <strong class="mine">. */
  function authorsElement(names, isMatch, mine) {
    if (!mine.length) return highlighted('span', 'rl-result-authors', authorsText(names), isMatch);
    var e = el('span', 'rl-result-authors'), etal = hasMore(names);
    (etal ? names.slice(0, -1) : names).forEach(function (name, i) {
      if (i) e.appendChild(document.createTextNode(', '));
      var own = mine.indexOf(name) >= 0;
      e.appendChild(highlighted(own ? 'strong' : 'span', own ? 'mine' : null, name, isMatch));
    });
    if (etal) e.appendChild(document.createTextNode(' ' + ET_AL));
    return e;
  }

  /** A result's reading status and rating, as the site's cards show them (in both places,
   *  once search/facets.js is loaded: it is asked for after the first results are painted). */
  function factsElement(facets, d) {
    var e = el('span', 'rl-result-facts');
    var status = facets.statuses[facets.status[d]] || '';
    e.appendChild(el('span', 'status status-' + status,
                     status.charAt(0).toUpperCase() + status.slice(1)));
    var stars = facets.rating[d];
    if (stars) {
      var rating = el('span', 'rating');
      var shown = el('span', null, '\u2605'.repeat(stars) + '\u2606'.repeat(5 - stars));
      shown.setAttribute('aria-hidden', 'true');
      rating.appendChild(shown);
      rating.appendChild(el('span', 'visually-hidden', 'Rating ' + stars + ' of 5'));
      e.appendChild(rating);
    }
    return e;
  }

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  function Widget(form, mode) {
    this.form = form;
    this.mode = mode; // 'popup' (header) or 'page' (search page)
    this.input = form.querySelector('[data-rl-input]');
    this.listbox = form.querySelector('[data-rl-listbox]') ||
      document.getElementById(this.input.getAttribute('aria-controls'));
    this.popup = form.querySelector('[data-rl-popup]');
    this.status = form.querySelector('[data-rl-status]') ||
      document.querySelector('[data-rl-status-for="' + this.input.id + '"]');
    this.live = form.querySelector('[data-rl-live]') ||
      document.querySelector('[data-rl-live-for="' + this.input.id + '"]');
    this.more = form.querySelector('[data-rl-more]') ||
      document.querySelector('[data-rl-more-for="' + this.input.id + '"]');
    this.limit = mode === 'page' ? PAGE_STEP : POPUP_LIMIT;
    this.scope = '';
    this.mine = mineNames();
    this.sort = '';
    this.results = [];
    this.sortSelect = mode === 'page' ? document.querySelector('[data-rl-sort]') : null;
    this.scopeBox = mode === 'page' ? document.querySelector('[data-rl-scope]') : null;
    this.facetBox = mode === 'page' ? document.querySelector('[data-rl-facets]') : null;
    // the facet panel starts closed on a phone, where it pushed the results a screen or two
    // down; open or closed, it stays as the reader left it while they search
    this.facetsOpen = !(window.matchMedia && window.matchMedia('(max-width: 40rem)').matches);
    this.bibButton = mode === 'page' ? document.querySelector('[data-rl-bib]') : null;
    this.active = -1;
    this.options = [];
    this.lastQuery = null;
    this.liveTimer = null;
    this.id = 'rl-search-' + (++widgetCount);
    if (!this.listbox.id) this.listbox.id = this.id + '-listbox';
    this.bind();
  }

  Widget.prototype.bind = function () {
    var w = this;
    // start fetching as soon as a pointer heads for the box (still lazy: a page nobody
    // searches on loads nothing)
    w.form.addEventListener('pointerenter', startLoading);
    w.input.addEventListener('focus', function () {
      startLoading();
      if (w.input.value.trim()) w.update(true);
    });
    w.input.addEventListener('input', function () {
      w.limit = w.mode === 'page' ? PAGE_STEP : POPUP_LIMIT;
      w.update(true);
    });
    w.input.addEventListener('keydown', function (e) { w.onKey(e); });
    if (w.popup) {
      w.popup.addEventListener('mousedown', function (e) {
        if (e.target.closest && !e.target.closest('a[href]')) e.preventDefault();
      });
      w.form.addEventListener('focusout', function () {
        setTimeout(function () {
          if (!w.form.contains(document.activeElement)) w.close();
        }, 0);
      });
    }
    if (w.mode === 'page') {
      // the results are already shown and the link already says q, in and sort: a submit
      // (Enter, the Search button) would reload the page without the list scope (the form
      // has no field for it) and drop the focus to the page's top
      w.form.addEventListener('submit', function (e) {
        e.preventDefault();
        w.update(true);
      });
    }
    if (w.sortSelect) {
      w.sortSelect.addEventListener('change', function () {
        w.sort = w.sortSelect.value;
        setParam('sort', w.sort);
        w.update(false);
      });
    }
    if (w.bibButton) {
      w.bibButton.addEventListener('click', function () { w.downloadBib(); });
    }
    if (w.more) {
      w.more.addEventListener('click', function (e) {
        if (w.mode !== 'page') return;
        e.preventDefault();
        var first = w.limit, focused = document.activeElement === w.more;
        w.limit += PAGE_STEP;
        w.update(false);
        // the last ones shown, the button hides and would drop the focus to the page's top:
        // the box takes it, with the first paper just shown as its choice (Enter opens it)
        if (focused && w.more.hidden && first < w.options.length) {
          w.input.focus({ preventScroll: true });
          w.setActive(first);
        }
      });
    }
    loader.listeners.push(function () {
      if (w.lastQuery === null) return;
      if (w.mode === 'popup' && document.activeElement !== w.input) return;
      w.update(false);
    });
  };

  Widget.prototype.onKey = function (e) {
    var w = this;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (w.mode === 'popup' && !w.isOpen()) { w.update(true); }
      if (!w.options.length) return;
      e.preventDefault();
      var next = w.active + (e.key === 'ArrowDown' ? 1 : -1);
      if (next >= w.options.length) next = 0;
      if (next < -1) next = w.options.length - 1;
      w.setActive(next);
    } else if (e.key === 'Enter') {
      if (w.active >= 0 && w.options[w.active]) {
        e.preventDefault();
        global.location.href = w.options[w.active].href;
      }
    } else if (e.key === 'Escape') {
      if (w.mode === 'popup' && w.isOpen()) { e.preventDefault(); w.close(); }
      else if (w.input.value) { e.preventDefault(); w.input.value = ''; w.update(true); }
    } else if (e.key === 'Home' || e.key === 'End') {
      w.setActive(-1);
    }
  };

  Widget.prototype.isOpen = function () {
    return this.input.getAttribute('aria-expanded') === 'true';
  };

  Widget.prototype.setActive = function (i) {
    var w = this;
    w.options.forEach(function (o, k) { o.setAttribute('aria-selected', k === i ? 'true' : 'false'); });
    w.active = i;
    if (i >= 0) {
      w.input.setAttribute('aria-activedescendant', w.options[i].id);
      if (w.options[i].scrollIntoView) w.options[i].scrollIntoView({ block: 'nearest' });
    } else {
      w.input.removeAttribute('aria-activedescendant');
    }
  };

  Widget.prototype.close = function () {
    if (this.popup) this.popup.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.setActive(-1);
  };

  Widget.prototype.open = function (hasOptions) {
    if (this.popup) this.popup.hidden = false;
    this.input.setAttribute('aria-expanded', hasOptions ? 'true' : 'false');
  };

  Widget.prototype.say = function (text) {
    var w = this;
    if (!w.live) return;
    clearTimeout(w.liveTimer);
    w.liveTimer = setTimeout(function () { w.live.textContent = text; }, 500);
  };

  Widget.prototype.showStatus = function (text, hint) {
    if (!this.status) return;
    this.status.textContent = '';
    if (text) this.status.appendChild(el('span', 'rl-status-text', text));
    if (hint) this.status.appendChild(el('span', 'rl-hint', hint));
    this.status.hidden = !text && !hint;
  };

  Widget.prototype.update = function (typed) {
    var w = this, q = w.input.value;
    w.lastQuery = q;
    if (w.mode === 'page' && typed) setParam('q', q);
    w.showScope();
    if (!q.trim() && !w.scope && !(w.mode === 'page' && SORTS.indexOf(w.sort) >= 0)) {
      w.results = [];
      w.showFacets(null);
      w.render([], null);
      w.showStatus('', null);
      w.say('');
      if (w.mode === 'popup') w.close();
      return;
    }
    startLoading();
    if (loader.error) { w.render([], null); w.showStatus(loader.error, null); w.open(false); return; }
    var engine = loader.engine;
    if (!engine) {
      w.render([], null);
      w.showStatus('Loading the search index\u2026', null);
      w.open(false);
      return;
    }
    var res;
    try {
      res = query(engine, q, { facets: loader.facets, scope: w.scope, sort: w.sort });
    } catch (e) {
      res = { results: [], hints: ['This query could not be searched; try plain words.'], pending: false };
    }
    if (res.needsFacets && !loader.facets) startFacets();
    var n = res.results.length;
    var loading = !engine.full && !loader.textError;
    var text, hint = null;
    if (res.empty) {
      text = 'Nothing to search for yet.';
      hint = res.hints.length ? res.hints.join(' ') : 'Type a word, for example attention or author:sun.';
    } else if (res.pending && res.needsFacets && !loader.facets) {
      text = loader.facetsError ? 'The filters could not be loaded.' : 'Loading the filters\u2026';
    } else if (res.pending) {
      text = 'Searching abstracts and notes as soon as they are loaded\u2026';
    } else if (n) {
      text = plural(n, 'paper', 'papers') + (loading ? ' so far (abstracts still loading)' : '');
    } else {
      text = loading ? 'No title or author matches yet; abstracts are still loading\u2026' : 'No papers match.';
      var words = res.plan && (res.plan.groups.length || res.plan.phrases.length);
      hint = res.hints.length ? res.hints.join(' ')
        : !words ? 'No papers pass these filters.'
        : 'Try fewer words, a prefix such as atten*, or a typo-tolerant word such as transfomer~1.';
    }
    if (n && res.hints.length) hint = res.hints.join(' ');
    w.results = res.results;
    if (w.sortSelect && res.sort) w.sortSelect.value = res.sort;
    w.render(res.results, res.plan);
    if (w.mode === 'page') w.showFacets(res);
    // each result's status and rating (and the page's facet panel), once results show
    if (!loader.facets && n) afterPaint(startFacets);
    w.showStatus(text, hint);
    w.say(n ? plural(n, 'result', 'results') + ' available.' : text);
    w.open(n > 0);
    // For tools (the benchmark, tests): the results of this query are on screen.
    if (typeof CustomEvent === 'function') {
      w.form.dispatchEvent(new CustomEvent('rl:results', {
        detail: { query: q, count: n, full: !!engine.full, sort: res.sort || '',
                  facets: !!loader.facets } }));
    }
  };

  Widget.prototype.render = function (results, p) {
    var w = this, engine = loader.engine;
    var prevActive = w.active;
    w.listbox.textContent = '';
    w.options = [];
    var isMatch = p ? matcher(p) : function () { return false; };
    var shown = results.slice(0, w.limit);
    var base = rootPrefix(w.form);
    shown.forEach(function (r, i) {
      var d = r.doc; // [slug, title, [author, ...], year, venue, snippet]
      var a = el('a', 'rl-result');
      a.id = w.listbox.id + '-' + i;
      a.setAttribute('role', 'option');
      a.setAttribute('aria-selected', 'false');
      a.tabIndex = -1;
      a.href = base + engine.url.replace('{slug}', encodeURIComponent(d[0]));
      a.appendChild(highlighted('span', 'rl-result-title', d[1], isMatch));
      var meta = el('span', 'rl-result-meta');
      if (loader.facets) meta.appendChild(factsElement(loader.facets, +r.ref));
      if (d[2].length) meta.appendChild(authorsElement(d[2], isMatch, w.mine));
      var where = [d[3] ? String(d[3]) : '', d[4] || ''].filter(Boolean).join(' \u00b7 ');
      if (where) meta.appendChild(highlighted('span', 'rl-result-venue', where, isMatch));
      a.appendChild(meta);
      if (d[5]) a.appendChild(highlighted('span', 'rl-result-snippet', d[5], isMatch));
      w.listbox.appendChild(a);
      w.options.push(a);
    });
    w.listbox.hidden = !shown.length;
    w.active = -1;
    w.input.removeAttribute('aria-activedescendant');
    if (prevActive >= 0 && prevActive < w.options.length && w.lastRendered === w.lastQuery) {
      w.setActive(prevActive);
    }
    w.lastRendered = w.lastQuery;
    if (w.more) {
      var rest = results.length - shown.length;
      if (w.mode === 'page') {
        w.more.hidden = rest <= 0;
        w.more.textContent = 'Show ' + Math.min(rest, PAGE_STEP) + ' more';
      } else {
        w.more.hidden = rest <= 0;
        w.more.textContent = 'All ' + plural(results.length, 'result', 'results') + ' \u2192';
        w.more.href = base + w.form.getAttribute('data-rl-page') + '?q=' + encodeURIComponent(w.lastQuery);
      }
    }
  };

  var KIND_LABELS = { tags: 'Tag', authors: 'Author', years: 'Year', venues: 'Venue' };
  var RATING_LABELS = ['Not rated', '1 star', '2 stars', '3 stars', '4 stars', '5 stars'];

  /** The search page's scope (?in=tags/rag): what it is, and a button to drop it. */
  Widget.prototype.showScope = function () {
    var w = this, box = w.scopeBox;
    if (!box) return;
    box.textContent = '';
    box.hidden = !w.scope;
    if (!w.scope) return;
    var list = loader.facets && loader.facets.lists[w.scope];
    box.appendChild(document.createTextNode('Only papers in '));
    var a = el('a', null, list ? KIND_LABELS[list.kind] + ' ' + list.name : w.scope);
    a.href = rootPrefix(w.form) + w.scope + '/index.html';
    box.appendChild(a);
    if (loader.facets && !list) box.appendChild(document.createTextNode(' (no such list)'));
    box.appendChild(document.createTextNode(' '));
    var b = el('button', 'rl-scope-remove', 'Search all papers');
    b.type = 'button';
    b.addEventListener('click', function () {
      w.scope = '';
      setParam('in', '');
      w.update(false);
      w.input.focus();
    });
    box.appendChild(b);
  };

  /** The query with a filter token added, or taken out when it is there already. */
  function toggleToken(q, token) {
    var parts = q.split(/\s+/).filter(Boolean), low = token.toLowerCase();
    var kept = parts.filter(function (p) { return p.toLowerCase() !== low; });
    if (kept.length === parts.length) kept.push(token);
    return kept.join(' ');
  }

  /** The facet panel: counts over every current result; a choice narrows them. */
  Widget.prototype.showFacets = function (res) {
    var w = this, box = w.facetBox, facets = loader.facets;
    if (w.bibButton) {
      var count = res && !res.pending ? res.results.length : 0;
      w.bibButton.hidden = !count;
      w.bibButton.textContent = 'Download BibTeX (' + plural(count, 'paper', 'papers') + ')';
    }
    if (!box) return;
    // The panel is drawn anew, so the button that had the focus (the one just pressed, for
    // one) is gone: its new self takes the focus, else the panel's summary (or the search
    // box, when the panel is gone); a keyboard user is not sent back to the top of the page.
    var focused = box.contains(document.activeElement)
      ? document.activeElement.getAttribute('data-rl-token') || '' : null;
    // (read here, not from its toggle event, which comes later: a facet pressed right after
    // the panel was opened would redraw it closed)
    var shown = box.querySelector('details');
    if (shown) w.facetsOpen = shown.open;
    box.textContent = '';
    box.hidden = !(res && facets && res.results.length);
    if (box.hidden) {
      if (focused !== null) w.input.focus();
      return;
    }
    var counts = facetCounts(facets, res.results.map(function (r) { return +r.ref; }));
    var active = Object.create(null);
    parseQuery(w.input.value).filters.forEach(function (f) { if (!f.negate) active[f.raw] = true; });
    var panel = el('details', 'rl-facets-panel'), summary = el('summary', 'rl-facets-summary');
    panel.open = w.facetsOpen;
    var heading = el('h2', 'rl-facets-title', 'Narrow the results');
    heading.id = w.id + '-facets';
    summary.appendChild(heading);
    panel.appendChild(summary);
    var groups = el('div', 'rl-facet-groups');
    panel.appendChild(groups);
    box.appendChild(panel);
    function group(name, entries) {
      entries = entries.filter(function (e) { return e[2] > 0; });
      if (!entries.length) return;
      var g = el('div', 'rl-facet-group');
      g.setAttribute('role', 'group');
      var h = el('h3', 'rl-facet-name', name);
      h.id = w.id + '-facet-' + name.toLowerCase();
      g.setAttribute('aria-labelledby', h.id);
      g.appendChild(h);
      var ul = el('ul', 'rl-facet-list');
      entries.slice(0, 12).forEach(function (e) {
        var li = el('li'), b = el('button', 'rl-facet');
        b.type = 'button';
        b.setAttribute('data-rl-token', e[0]);
        b.setAttribute('aria-pressed', active[e[0].toLowerCase()] ? 'true' : 'false');
        b.appendChild(el('span', 'rl-facet-label', e[1]));
        b.appendChild(document.createTextNode(' '));
        b.appendChild(el('span', 'rl-facet-count', String(e[2])));
        b.addEventListener('click', function () {
          w.input.value = toggleToken(w.input.value, e[0]);
          w.limit = PAGE_STEP;
          w.update(true);
        });
        li.appendChild(b);
        ul.appendChild(li);
      });
      g.appendChild(ul);
      groups.appendChild(g);
    }
    group('Status', facets.statuses.map(function (s, i) { return ['status:' + s, s, counts.status[i]]; }));
    group('Rating', [5, 4, 3, 2, 1, 0].map(function (r) {
      return [r ? 'rating:' + r : 'rating:none', RATING_LABELS[r], counts.rating[r]];
    }));
    ['tags', 'years', 'venues'].forEach(function (kind) {
      group(KIND_LABELS[kind], counts[kind].filter(function (t) { return t[0] !== w.scope; })
        .map(function (t) { return ['in:' + t[0], t[1], t[2]]; }));
    });
    if (focused === null) return;
    var again = [].filter.call(box.querySelectorAll('[data-rl-token]'), function (b) {
      return b.getAttribute('data-rl-token') === focused;
    })[0];
    (again || summary).focus();
  };

  /** Save every current result's BibTeX entry (papers.bib's text) as a .bib file. */
  Widget.prototype.downloadBib = function () {
    var w = this, results = w.results.slice();
    function busy() { return w.bibButton.getAttribute('aria-disabled') === 'true'; }
    if (!results.length || busy()) return;
    // aria-disabled while the entries load, not disabled: a disabled button loses the focus,
    // and a keyboard user found themselves back at the top of the page
    w.bibButton.setAttribute('aria-disabled', 'true');
    withBib(function () {
      w.bibButton.removeAttribute('aria-disabled');
      var text = results.map(function (r) { return loader.bib[r.doc[0]]; })
        .filter(Boolean).join('\n');
      var url = URL.createObjectURL(new Blob([text], { type: 'application/x-bibtex' }));
      var a = el('a');
      a.href = url;
      a.download = 'readinglist-search.bib';
      a.hidden = true;
      document.body.appendChild(a);
      a.click();
      document.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    });
    function failed() {
      if (!loader.bibError || !busy()) return;
      w.bibButton.removeAttribute('aria-disabled');
      w.showStatus('The BibTeX entries could not be loaded.', null);
    }
    failed();  // (an earlier try failed already)
    if (!loader.bib) loader.listeners.push(failed);  // (or this one does: notify() calls it)
  };

  /**
   * A list page's "Filter and sort" form (partials/filters.html): hidden without
   * JavaScript; here it shows the list's facet counts (every paper of the list, not just
   * this page of it) once opened, and opens the search page scoped to the list.
   */
  function FilterForm(box) {
    var form = box.querySelector('form'), scope = box.getAttribute('data-rl-in') || '';
    var selects = Array.prototype.slice.call(box.querySelectorAll('select[data-rl-filter]'));
    var total = box.querySelector('[data-rl-filters-total]');
    var filled = false;
    box.hidden = false;
    function fill() {
      var facets = loader.facets;
      if (filled || !facets) return;
      filled = true;
      var refs = [], mask = scope ? listMask(facets, scope) : null;
      for (var d = 0; d < facets.n; d++) if (!mask || mask[d]) refs.push(d);
      var counts = facetCounts(facets, refs);
      if (total) total.textContent = plural(refs.length, 'paper', 'papers') + ' in this list.';
      selects.forEach(function (sel) {
        var kind = sel.getAttribute('data-rl-filter');
        if (kind === 'status' || kind === 'rating') {
          Array.prototype.forEach.call(sel.options, function (o) {
            if (!o.value) { o.textContent = o.textContent.replace(/ \(\d+\)$/, '') + ' (' + refs.length + ')'; return; }
            var f = parseQuery(o.value).filters;
            var test = filterTest(facets, f, []), c = 0;
            refs.forEach(function (d) { if (test(d)) c++; });
            o.textContent = o.textContent.replace(/ \(\d+\)$/, '') + ' (' + c + ')';
            o.setAttribute('data-count', String(c));
          });
        } else {
          counts[kind].forEach(function (t) {
            if (t[0] === scope) return;
            var o = el('option', null, t[1] + ' (' + t[2] + ')');
            o.value = 'in:' + t[0];
            o.setAttribute('data-count', String(t[2]));
            sel.appendChild(o);
          });
        }
      });
    }
    function want() { startFacets(); fill(); }
    box.addEventListener('toggle', function () { if (box.open) want(); });
    box.addEventListener('pointerenter', want);
    box.addEventListener('focusin', want);
    loader.listeners.push(fill);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var q = selects.map(function (s) { return s.value; }).filter(Boolean).join(' ');
      var sort = form.querySelector('[name=sort]');
      var params = [];
      if (scope) params.push('in=' + encodeURIComponent(scope));
      params.push('q=' + encodeURIComponent(q));
      // (an empty query and no sort would show nothing: the whole list, newest first)
      params.push('sort=' + encodeURIComponent(sort && sort.value ? sort.value : 'date'));
      global.location.href = rootPrefix(box) + 'search/index.html?' + params.join('&');
    });
  }

  function rootPrefix(form) {
    var r = form.getAttribute('data-root');
    if (r === null) r = document.documentElement.getAttribute('data-root') || '';
    return r;
  }

  function setParam(name, value) {
    try {
      var url = new URL(global.location.href);
      if (value) url.searchParams.set(name, value); else url.searchParams.delete(name);
      if (url.href !== global.location.href) global.history.replaceState(null, '', url.href);
    } catch (e) { /* file:// may refuse history changes; the form still works */ }
  }

  function param(name) {
    try { return new URL(global.location.href).searchParams.get(name) || ''; } catch (e) { return ''; }
  }

  function start() {
    var forms = document.querySelectorAll('form[data-rl-search]');
    if (!forms.length) return;
    var filterBoxes = document.querySelectorAll('[data-rl-filters]');
    var first = forms[0];
    loader.base = rootPrefix(first);
    loader.config = {
      lunr: first.getAttribute('data-rl-lunr'),
      meta: first.getAttribute('data-rl-meta'),
      docs: first.getAttribute('data-rl-docs'),
      text: first.getAttribute('data-rl-text'),
      facets: first.getAttribute('data-rl-facets-src') || 'search/facets.js',
      bib: first.getAttribute('data-rl-bib-src') || 'search/bib.js'
    };
    var pending = global[GLOBAL];
    global[GLOBAL] = { push: function () { for (var i = 0; i < arguments.length; i++) receive(arguments[i]); } };
    if (pending && pending.length) pending.forEach(receive);
    Array.prototype.forEach.call(filterBoxes, function (box) { FilterForm(box); });
    var widgets = [], pageWidget = null;
    Array.prototype.forEach.call(forms, function (form) {
      var mode = form.getAttribute('data-rl-search') === 'page' ? 'page' : 'popup';
      var w = new Widget(form, mode);
      widgets.push(w);
      if (mode === 'page') pageWidget = w;
    });
    document.addEventListener('keydown', function (e) {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      e.preventDefault();
      var target = (pageWidget || widgets[0]).input;
      target.focus();
      target.select();
    });
    if (pageWidget) {
      var q = param('q');
      if (q) pageWidget.input.value = q;
      pageWidget.scope = param('in').replace(/^\/+|\/+$/g, '').replace(/\/index\.html$/, '');
      pageWidget.sort = param('sort');
      startLoading();
      pageWidget.update(false);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(typeof globalThis !== 'undefined' ? globalThis : this);
