/* The stories of a cleaner report: filters, search and pagination over the embedded JSON.
 *
 * Data (see cleaner/html_report.py, ReportBuilder.data): sites[], langs[], articles[] as rows
 * [id, title, lead, site, date, url, lang, copy] with trailing empty values left out, and
 * stories[] as [first row, rows, first date, last date, terms]. A row whose copy is 1 is a copy
 * of the canonical row above it; a string is the id of its canonical article when that is not a
 * canonical article of this result (an indexed article), so the copy stands on its own.
 *
 * Everything is drawn with textContent and createElement, never as HTML, and only http(s)
 * addresses become links. The view lives in the URL's hash (#q=strikes&site=x&page=2), so a
 * view can be bookmarked or shared, and a headless browser can open one.
 */
(function () {
  "use strict";
  var PER_PAGE = 50;       // stories per page
  var ENTRIES_SHOWN = 10;  // articles (with their copies) shown per story before "show all"
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var SITES = data.sites, LANGS = data.langs, ROWS = data.articles, STORIES = data.stories;
  var KEYS = ["view", "q", "site", "lang", "from", "to", "sort", "page"];
  var state = {view: "stories", q: "", site: "", lang: "", from: "", to: "", sort: "size", page: "1"};
  var hay = null;        // lowercased searchable text per row, built on the first search
  var termHay = null;    // same per story (its shared terms)
  var byRecent = null;   // story indexes, newest first, built when first asked for
  var expanded = {};     // stories whose every article is shown
  var $ = function (id) { return document.getElementById(id); };

  function cell(row, i, empty) { return row.length > i ? row[i] : empty; }
  function rowSite(row) { var s = cell(row, 3, -1); return s >= 0 ? SITES[s] : ""; }
  function rowLang(row) { var l = cell(row, 6, -1); return l >= 0 ? LANGS[l] : ""; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null && text !== "") node.textContent = text;
    return node;
  }

  function number(n) { return n.toLocaleString("en-US"); }

  // ------------------------------------------------------------------ state <-> URL hash

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    KEYS.forEach(function (k) { if (params.has(k)) state[k] = params.get(k); });
  }

  function writeHash() {
    var defaults = {view: "stories", sort: "size", page: "1"};
    var params = new URLSearchParams();
    KEYS.forEach(function (k) { if (state[k] && state[k] !== defaults[k]) params.set(k, state[k]); });
    var hash = params.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }

  // ------------------------------------------------------------------ filtering

  function buildHay() {
    hay = new Array(ROWS.length);
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      hay[i] = (cell(r, 1, "") + " " + cell(r, 2, "") + " " + rowSite(r) + " " + r[0]).toLowerCase();
    }
    termHay = STORIES.map(function (s) { return s[4].join(" ").toLowerCase(); });
  }

  function rowPasses(i, words, storyText) {
    var r = ROWS[i];
    if (state.site && rowSite(r) !== state.site) return false;
    if (state.lang && rowLang(r) !== state.lang) return false;
    var date = cell(r, 4, "");
    if (state.from && (!date || date < state.from)) return false;
    if (state.to && (!date || date > state.to)) return false;
    for (var w = 0; w < words.length; w++) {
      if (hay[i].indexOf(words[w]) < 0 && storyText.indexOf(words[w]) < 0) return false;
    }
    return true;
  }

  /* The entries of a story as [first row, end row) pairs: a canonical row and its copies. */
  function entries(story) {
    var out = [], end = story[0] + story[1];
    for (var i = story[0]; i < end; i++) {
      if (cell(ROWS[i], 7, 0) === 1 && out.length) out[out.length - 1][1] = i + 1;
      else out.push([i, i + 1]);
    }
    return out;
  }

  /* Stories to list, in order, each {s: index, only: entries that match or null for all}. */
  function selection() {
    var order;
    if (state.sort === "recent") {
      if (!byRecent) {
        byRecent = STORIES.map(function (_, i) { return i; });
        byRecent.sort(function (a, b) {
          var da = STORIES[a][3], db = STORIES[b][3];
          return da === db ? a - b : (da < db ? 1 : -1);
        });
      }
      order = byRecent;
    } else {
      order = null;
    }
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var filtering = words.length || state.site || state.lang || state.from || state.to;
    var out = [];
    if (filtering && !hay) buildHay();
    for (var k = 0; k < STORIES.length; k++) {
      var s = order ? order[k] : k;
      if (!filtering) { out.push({s: s, only: null}); continue; }
      var matched = [];
      entries(STORIES[s]).forEach(function (e) {
        for (var i = e[0]; i < e[1]; i++) {
          if (rowPasses(i, words, termHay[s])) { matched.push(e); return; }
        }
      });
      if (matched.length) out.push({s: s, only: matched});
    }
    return out;
  }

  // ------------------------------------------------------------------ drawing

  function articleItem(i, isCopy) {
    var r = ROWS[i], li = el("li", isCopy ? "article copy" : "article");
    li.dataset.id = r[0];
    var title = cell(r, 1, "") || r[0], url = cell(r, 5, "");
    var head;
    if (/^https?:\/\//i.test(url)) {
      head = el("a", "title", title);
      head.href = url;
      head.target = "_blank";
      head.rel = "noopener noreferrer";
    } else {
      head = el("span", "title", title);
    }
    li.appendChild(head);
    var copyOf = cell(r, 7, 0);
    if (typeof copyOf === "string") {
      li.appendChild(document.createTextNode(" "));
      var badge = el("span", "badge", "copy of " + copyOf);
      badge.title = "its canonical article is not a canonical article of this result (an indexed one, for example)";
      li.appendChild(badge);
    }
    var meta = el("div", "meta");
    [rowSite(r), cell(r, 4, ""), rowLang(r)].forEach(function (v, n) {
      if (v) meta.appendChild(el(n === 1 ? "time" : "span", null, v));
    });
    if (cell(r, 1, "")) meta.appendChild(el("code", null, r[0]));
    li.appendChild(meta);
    if (cell(r, 2, "")) li.appendChild(el("div", "lead", r[2]));
    return li;
  }

  function entryItem(e, matchedCopy) {
    var li = articleItem(e[0], false);
    var copies = e[1] - e[0] - 1;
    if (copies > 0) {
      var box = el("details", "copies");
      box.appendChild(el("summary", null, copies === 1 ? "1 copy" : copies + " copies"));
      var ul = el("ul");
      for (var i = e[0] + 1; i < e[1]; i++) ul.appendChild(articleItem(i, true));
      box.appendChild(ul);
      if (matchedCopy) box.open = true;
      li.appendChild(box);
    }
    return li;
  }

  function storyCard(item, rank) {
    var story = STORIES[item.s], all = entries(story);
    var shown = item.only || all;
    var card = el("article", "story");
    card.dataset.story = item.s;
    var head = el("div", "story-head");
    head.appendChild(el("span", "rank", "#" + rank));
    var copies = story[1] - all.length;
    head.appendChild(el("span", "size", story[1] === 1 ? "1 article" : number(story[1]) + " articles"));
    if (copies) head.appendChild(el("span", null, copies === 1 ? "1 copy" : number(copies) + " copies"));
    var sites = {};
    for (var i = story[0]; i < story[0] + story[1]; i++) sites[rowSite(ROWS[i])] = true;
    delete sites[""];
    var n = Object.keys(sites).length;
    if (n) head.appendChild(el("span", null, n === 1 ? "1 site" : n + " sites"));
    if (story[2]) head.appendChild(el("span", null, story[2] === story[3] ? story[2] : story[2] + " – " + story[3]));
    card.appendChild(head);
    if (story[4].length) {
      var terms = el("div", "terms");
      terms.title = "terms these articles share, rarest across the result first";
      story[4].forEach(function (t) { terms.appendChild(el("span", "term", t)); });
      card.appendChild(terms);
    }
    var list = el("ul", "articles");
    var limit = expanded[item.s] ? shown.length : Math.min(shown.length, ENTRIES_SHOWN);
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    for (var k = 0; k < limit; k++) {
      var e = shown[k];
      var copyHit = item.only !== null && e[1] - e[0] > 1 && !rowPasses(e[0], words, termHay[item.s]);
      list.appendChild(entryItem(e, copyHit));
    }
    card.appendChild(list);
    var rest = shown.length - limit;
    if (rest > 0) {
      var more = el("button", "more", "show " + number(rest) + " more " + (rest === 1 ? "article" : "articles"));
      more.type = "button";
      more.addEventListener("click", function () { expanded[item.s] = true; card.replaceWith(storyCard(item, rank)); });
      card.appendChild(more);
    }
    if (item.only && item.only.length < all.length) {
      card.appendChild(el("div", "meta", number(item.only.length) + " of " + number(all.length) + " articles match"));
    }
    return card;
  }

  function render() {
    var picked = selection();
    var pages = Math.max(1, Math.ceil(picked.length / PER_PAGE));
    var page = Math.min(Math.max(1, parseInt(state.page, 10) || 1), pages);
    state.page = String(page);
    var start = (page - 1) * PER_PAGE, slice = picked.slice(start, start + PER_PAGE);
    var box = $("stories"), frag = document.createDocumentFragment();
    slice.forEach(function (item, k) { frag.appendChild(storyCard(item, start + k + 1)); });
    box.replaceChildren(frag);
    var status = $("status");
    if (!picked.length) {
      status.textContent = STORIES.length ? "No story matches these filters." : "This result holds no articles.";
    } else {
      status.textContent = "Stories " + number(start + 1) + "–" + number(start + slice.length) + " of " + number(picked.length) +
        (picked.length < STORIES.length ? " matching (of " + number(STORIES.length) + ")" : "");
    }
    drawPager(page, pages);
  }

  function drawPager(page, pages) {
    var nav = $("pager");
    nav.replaceChildren();
    if (pages < 2) return;
    function go(label, target) {
      var b = el("button", null, label);
      b.type = "button";
      b.disabled = target < 1 || target > pages || target === page;
      b.addEventListener("click", function () { state.page = String(target); update(true); window.scrollTo(0, 0); });
      nav.appendChild(b);
    }
    go("« first", 1);
    go("‹ previous", page - 1);
    nav.appendChild(el("span", null, "page " + number(page) + " of " + number(pages)));
    go("next ›", page + 1);
    go("last »", pages);
  }

  function showView() {
    var cleaning = state.view === "cleaning";
    $("view-stories").hidden = cleaning;
    $("view-cleaning").hidden = !cleaning;
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (b) {
      b.classList.toggle("active", b.dataset.view === (cleaning ? "cleaning" : "stories"));
    });
  }

  function update(keepPage) {
    if (!keepPage) state.page = "1";
    render();
    writeHash();
  }

  // ------------------------------------------------------------------ controls

  function fillSelect(select, values, counts) {
    var frag = document.createDocumentFragment();
    values.forEach(function (v, i) {
      var o = el("option", null, counts ? v + " (" + number(counts[i]) + ")" : v);
      o.value = v;
      frag.appendChild(o);
    });
    select.appendChild(frag);
  }

  function setUp() {
    var perSite = SITES.map(function () { return 0; });
    ROWS.forEach(function (r) { var s = cell(r, 3, -1); if (s >= 0) perSite[s]++; });
    fillSelect($("f-site"), SITES, perSite);
    fillSelect($("f-lang"), LANGS, null);
    if (!LANGS.length) $("f-lang-label").hidden = true;
    var fields = {q: "f-q", site: "f-site", lang: "f-lang", from: "f-from", to: "f-to", sort: "f-sort"};
    Object.keys(fields).forEach(function (k) {
      var input = $(fields[k]);
      input.value = state[k];
      var timer = null;
      input.addEventListener(k === "q" ? "input" : "change", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { state[k] = input.value; update(false); }, k === "q" ? 150 : 0);
      });
    });
    $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });
    $("filters").addEventListener("reset", function () {
      setTimeout(function () {
        Object.keys(fields).forEach(function (k) { state[k] = k === "sort" ? "size" : ""; $(fields[k]).value = state[k]; });
        update(false);
      }, 0);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (b) {
      b.addEventListener("click", function () { state.view = b.dataset.view; showView(); writeHash(); });
    });
  }

  readHash();
  setUp();
  showView();
  render();
  document.documentElement.dataset.firstRenderMs = performance.now().toFixed(0);
  requestAnimationFrame(function () { document.documentElement.dataset.firstFrameMs = performance.now().toFixed(0); });
})();
