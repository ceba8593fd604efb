(function () {
  'use strict';
  // The address table: rows come from the JSON block (strings are only ever set with
  // textContent, never parsed as HTML), 100 to a page, with search, filters and sorting.
  var PAGE = 100;
  var started = window.performance.now();
  var holder = document.getElementById('table-data');
  if (!holder) { return; }
  var data = JSON.parse(holder.textContent);
  // A row: [line, asset index, address, kind index, amount or null, verdict index, note index].
  var rows = data.rows;
  var COLS = { line: 0, asset: 1, address: 2, kind: 3, amount: 4, verdict: 5, note: 6 };
  var state = { q: '', verdict: '', asset: '', kind: '', sort: 0, desc: false, page: 0 };
  var order = null;
  var view = [];
  var haystack = null;

  function el(id) { return document.getElementById(id); }

  function text(row, col) {
    switch (col) {
      case COLS.asset: return data.assets[row[1]];
      case COLS.kind: return data.kinds[row[3]];
      case COLS.verdict: return data.verdicts[row[5]];
      case COLS.note: return data.notes[row[6]];
      case COLS.amount: return row[4] === null ? '' : row[4];
      case COLS.line: return String(row[0]);
      default: return row[2];
    }
  }

  // Exact order of two non-negative decimal strings (amounts can have 30 digits).
  function decimalCompare(a, b) {
    if (a === b) { return 0; }
    if (a === null) { return -1; }
    if (b === null) { return 1; }
    var pa = a.split('.'), pb = b.split('.');
    var ia = pa[0].replace(/^0+/, ''), ib = pb[0].replace(/^0+/, '');
    if (ia.length !== ib.length) { return ia.length < ib.length ? -1 : 1; }
    if (ia !== ib) { return ia < ib ? -1 : 1; }
    var fa = pa[1] || '', fb = pb[1] || '';
    var n = Math.max(fa.length, fb.length);
    while (fa.length < n) { fa += '0'; }
    while (fb.length < n) { fb += '0'; }
    return fa === fb ? 0 : (fa < fb ? -1 : 1);
  }

  function compare(a, b) {
    var c;
    if (state.sort === COLS.line) { c = a[0] - b[0]; }
    else if (state.sort === COLS.amount) { c = decimalCompare(a[4], b[4]); }
    else {
      var x = text(a, state.sort), y = text(b, state.sort);
      c = x < y ? -1 : (x > y ? 1 : 0);
    }
    if (c === 0) { c = a[0] - b[0]; }
    return state.desc ? -c : c;
  }

  function matches(row) {
    if (state.verdict !== '' && row[5] !== Number(state.verdict)) { return false; }
    if (state.asset !== '' && row[1] !== Number(state.asset)) { return false; }
    if (state.kind !== '' && row[3] !== Number(state.kind)) { return false; }
    if (state.q !== '') {
      var i = row.__i;
      return haystack[i].indexOf(state.q) !== -1;
    }
    return true;
  }

  function refilter() {
    if (order === null) {
      order = rows.slice();
      order.sort(compare);
    }
    if (state.q !== '' && haystack === null) {
      haystack = rows.map(function (r) {
        return (r[2] + '\u0000' + text(r, COLS.note) + '\u0000' + text(r, COLS.asset) + '\u0000' + text(r, COLS.kind)).toLowerCase();
      });
    }
    view = order.filter(matches);
    state.page = 0;
  }

  function cell(tr, value, cls) {
    var td = document.createElement('td');
    if (cls) { td.className = cls; }
    var b = document.createElement('bdi');
    b.textContent = value;
    td.appendChild(b);
    tr.appendChild(td);
  }

  function render() {
    var body = el('rows');
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.page * PAGE;
    var part = view.slice(start, start + PAGE);
    var frag = document.createDocumentFragment();
    part.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.className = 'v-' + text(r, COLS.verdict);
      cell(tr, String(r[0]), 'num');
      cell(tr, text(r, COLS.asset));
      cell(tr, r[2], 'addr');
      cell(tr, text(r, COLS.kind));
      cell(tr, text(r, COLS.amount), 'num amount');
      cell(tr, text(r, COLS.verdict));
      cell(tr, text(r, COLS.note));
      frag.appendChild(tr);
    });
    body.textContent = '';
    body.appendChild(frag);
    el('page-info').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
    el('prev').disabled = state.page === 0;
    el('next').disabled = state.page + 1 >= pages;
    var shown = view.length === 0 ? 'no rows match' :
      'rows ' + (start + 1) + '–' + (start + part.length) + ' of ' + view.length + ' matching';
    el('table-status').textContent = shown + ' (' + rows.length + ' in the table)';
  }

  function fill(id, values) {
    var select = el(id);
    values.forEach(function (v, i) {
      var o = document.createElement('option');
      o.value = String(i);
      o.textContent = v;
      select.appendChild(o);
    });
    select.addEventListener('change', function () {
      state[id.slice(2)] = select.value;
      refilter();
      render();
    });
  }

  function counts() {
    var n = data.verdicts.map(function () { return 0; });
    rows.forEach(function (r) { n[r[5]] += 1; });
    var box = el('table-counts');
    box.textContent = 'In the table: ';
    data.verdicts.forEach(function (v, i) {
      if (n[i] === 0) { return; }
      var s = document.createElement('span');
      s.setAttribute('data-verdict-count', v);
      s.textContent = v + ' ' + n[i];
      box.appendChild(s);
      box.appendChild(document.createTextNode(' · '));
    });
    if (box.lastChild && box.lastChild.nodeType === 3 && box.childNodes.length > 1) { box.removeChild(box.lastChild); }
  }

  rows.forEach(function (r, i) { r.__i = i; });
  fill('f-verdict', data.verdicts);
  fill('f-asset', data.assets);
  fill('f-kind', data.kinds);
  el('q').addEventListener('input', function () {
    state.q = el('q').value.trim().toLowerCase();
    refilter();
    render();
  });
  el('prev').addEventListener('click', function () { state.page -= 1; render(); });
  el('next').addEventListener('click', function () { state.page += 1; render(); });
  Array.prototype.forEach.call(document.querySelectorAll('th button[data-sort]'), function (b) {
    b.addEventListener('click', function () {
      var col = Number(b.getAttribute('data-sort'));
      state.desc = state.sort === col ? !state.desc : false;
      state.sort = col;
      Array.prototype.forEach.call(document.querySelectorAll('th button[data-sort]'), function (o) { o.removeAttribute('data-dir'); });
      b.setAttribute('data-dir', state.desc ? 'desc' : 'asc');
      order = null;
      refilter();
      render();
    });
  });
  counts();
  refilter();
  render();
  document.body.setAttribute('data-table-rows', String(rows.length));
  // How long reading the data and drawing the first page took (the page stays responsive).
  document.body.setAttribute('data-table-ms', String(Math.round(window.performance.now() - started)));
}());
