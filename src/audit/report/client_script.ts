/**
 * The report page's inline script (plain ES2020, no library). It reads the JSON island and draws everything with
 * createElement and textContent, never innerHTML, so no event field can become markup. Filters work offline.
 * Kept as a string because the page must carry it inline; the browser tests exercise it.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var events = data.events;
  var MAX_ROWS = 1000;
  var SVG = 'http://www.w3.org/2000/svg';
  var flagged = Object.create(null);
  data.verification.findings.forEach(function (f) { if (f.seq !== undefined) flagged[(f.origin || '') + '#' + f.seq] = true; });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function table(node, header, rows) {
    clear(node);
    var head = el('tr');
    header.forEach(function (h) { head.appendChild(el('th', null, h)); });
    node.appendChild(head);
    rows.forEach(function (r) {
      var tr = el('tr', r.attrs);
      r.cells.forEach(function (c, i) { tr.appendChild(el('td', r.classes && r.classes[i] ? { class: r.classes[i] } : null, c)); });
      node.appendChild(tr);
    });
    if (rows.length === 0) { var tr = el('tr'); tr.appendChild(el('td', { colspan: header.length, class: 'note' }, 'none')); node.appendChild(tr); }
  }
  function uniq(values) { var seen = Object.create(null); var out = []; values.forEach(function (v) { if (v !== undefined && !seen[v]) { seen[v] = true; out.push(v); } }); return out.sort(); }
  function fill(select, values) { values.forEach(function (v) { select.appendChild(el('option', { value: v }, v)); }); }
  function isRefusal(e) { return e.outcome === 'denied' || (e.outcome === 'error' && e.code !== undefined); }
  function log(e) { return e.origin + '#' + e.seq; }
  function what(e) {
    var parts = [];
    var d = e.detail || {};
    if (e.action === 'alert' && typeof d.signal === 'string') parts.push('signal=' + d.signal + ' ' + d.subject_kind + '=' + d.subject);
    else if (e.reason && e.reason !== e.code) parts.push(e.reason);
    if (e.action === 'revocation' && typeof d.mount === 'string') parts.push('mount=' + d.mount + (d.cause ? ' cause=' + d.cause : ''));
    if (e.action === 'revocation' && d.backend && typeof d.backend === 'object') parts.push('backend did: ' + JSON.stringify(d.backend));
    if (e.crefs && e.crefs.length) parts.push(e.crefs.join(', '));
    if (e.lease_ids && e.lease_ids.length) parts.push('leases=' + e.lease_ids.join(', '));
    return parts.join(' ');
  }

  var ids = { tenant: 'f-tenant', job: 'f-job', executor: 'f-executor', from: 'f-from', until: 'f-until' };
  var inputs = {};
  Object.keys(ids).forEach(function (k) { inputs[k] = document.getElementById(ids[k]); });
  fill(inputs.tenant, uniq(events.map(function (e) { return e.tenant; })));
  fill(inputs.job, uniq(events.map(function (e) { return e.job_id; })));
  fill(inputs.executor, uniq(events.map(function (e) { return e.executor; })));
  if (events.length) { inputs.from.placeholder = events[0].time; inputs.until.placeholder = events[events.length - 1].time; }

  function instant(input, errors) {
    var v = input.value.trim();
    if (v === '') return undefined;
    var t = Date.parse(v);
    if (isNaN(t)) { errors.push(input.id.slice(2) + ': not a time: ' + v); return undefined; }
    return t;
  }
  function selected() {
    var errors = [];
    var f = { tenant: inputs.tenant.value, job: inputs.job.value, executor: inputs.executor.value, from: instant(inputs.from, errors), until: instant(inputs.until, errors) };
    document.getElementById('f-error').textContent = errors.join('; ');
    return f;
  }
  function matches(e, f) {
    if (f.tenant && e.tenant !== f.tenant) return false;
    if (f.job && e.job_id !== f.job) return false;
    if (f.executor && e.executor !== f.executor && e.actor !== 'executor:' + f.executor) return false;
    var t = Date.parse(e.time);
    if (f.from !== undefined && t < f.from) return false;
    if (f.until !== undefined && t >= f.until) return false;
    return true;
  }

  function summary(shown, jobs) {
    var box = clear(document.getElementById('summary'));
    var counts = [
      ['events', 'events', shown.length + (shown.length === events.length ? '' : ' of ' + events.length)],
      ['jobs', 'jobs', jobs.length],
      ['refusals', 'refusals', shown.filter(isRefusal).length],
      ['alerts', 'anomaly alerts', shown.filter(function (e) { return e.action === 'alert'; }).length],
      ['ratelimits', 'rate-limit hits', shown.filter(function (e) { return e.code === 'rate_limited'; }).length],
      ['flagged', 'events named by findings', shown.filter(function (e) { return flagged[log(e)]; }).length]
    ];
    counts.forEach(function (c) {
      var div = el('div', { class: 'count', 'data-count': c[0] });
      div.appendChild(el('b', null, c[2]));
      div.appendChild(document.createTextNode(c[1]));
      box.appendChild(div);
    });
  }

  function chart(shown) {
    var box = clear(document.getElementById('chart'));
    var W = 900, H = 160, PAD = 28, BINS = 48;
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + (H + 36), width: '100%', role: 'img', 'aria-label': 'events over time' });
    box.appendChild(root);
    if (events.length === 0) { root.appendChild(svg('text', { x: PAD, y: H / 2 }, 'no events')); return; }
    var t0 = Date.parse(events[0].time), t1 = Date.parse(events[events.length - 1].time) + 1;
    var width = (t1 - t0) / BINS;
    var ok = [], bad = [];
    for (var i = 0; i < BINS; i++) { ok.push(0); bad.push(0); }
    shown.forEach(function (e) {
      var b = Math.min(BINS - 1, Math.floor((Date.parse(e.time) - t0) / width));
      if (e.outcome === 'denied' || e.outcome === 'error') bad[b]++; else ok[b]++;
    });
    var max = Math.max.apply(null, ok.map(function (v, k) { return v + bad[k]; }).concat([1]));
    var bw = (W - 2 * PAD) / BINS;
    root.appendChild(svg('line', { x1: PAD, y1: H, x2: W - PAD, y2: H, stroke: '#9aa4ad' }));
    for (var k = 0; k < BINS; k++) {
      var x = PAD + k * bw, hOk = (ok[k] / max) * (H - 10), hBad = (bad[k] / max) * (H - 10);
      var label = new Date(t0 + k * width).toISOString() + ': ' + ok[k] + ' granted/ok, ' + bad[k] + ' refused/error';
      var g = svg('g', { 'data-bin': k });
      g.appendChild(svg('title', {}, label));
      if (ok[k]) g.appendChild(svg('rect', { x: x + 1, y: H - hOk, width: bw - 2, height: hOk, fill: '#3c9a5f' }));
      if (bad[k]) g.appendChild(svg('rect', { x: x + 1, y: H - hOk - hBad, width: bw - 2, height: hBad, fill: '#c0262d' }));
      root.appendChild(g);
    }
    root.appendChild(svg('text', { x: PAD, y: H + 16 }, events[0].time));
    root.appendChild(svg('text', { x: W - PAD, y: H + 16, 'text-anchor': 'end' }, events[events.length - 1].time));
    root.appendChild(svg('text', { x: 2, y: 12 }, String(max)));
    root.appendChild(svg('text', { x: PAD, y: H + 32 }, 'green: granted/ok · red: refused/error · ' + BINS + ' bins'));
  }

  function refusals(shown) {
    var groups = Object.create(null);
    shown.filter(isRefusal).forEach(function (e) {
      var key = (e.step || '-') + '\u0000' + (e.code || '-');
      var g = groups[key] || (groups[key] = { step: e.step || '-', code: e.code || '-', n: 0, reasons: Object.create(null) });
      g.n++;
      if (e.reason) g.reasons[e.reason] = true;
    });
    var rows = Object.keys(groups).map(function (k) { return groups[k]; }).sort(function (a, b) { return b.n - a.n; });
    table(document.getElementById('refusals'), ['Step', 'Code', 'Count', 'Reasons'], rows.map(function (g) {
      return { attrs: { 'data-step': g.step, 'data-code': g.code }, cells: [g.step, g.code, g.n, Object.keys(g.reasons).join('; ')] };
    }));
  }

  function alerts(shown) {
    table(document.getElementById('alerts'), ['Time', 'Signal', 'Subject', 'Log#seq'], shown.filter(function (e) { return e.action === 'alert'; }).map(function (e) {
      var d = e.detail || {};
      return { cells: [e.time, d.signal || e.reason || '', (d.subject_kind || '') + ' ' + (d.subject || ''), log(e)] };
    }));
    table(document.getElementById('ratelimits'), ['Time', 'Action', 'Executor', 'Tenant', 'Reason'], shown.filter(function (e) { return e.code === 'rate_limited'; }).map(function (e) {
      return { cells: [e.time, e.action, e.executor || e.actor || '', e.tenant || '', e.reason || ''] };
    }));
  }

  function eventRow(e) {
    return {
      attrs: flagged[log(e)] ? { class: 'flagged', 'data-log': log(e) } : { 'data-log': log(e) },
      classes: [null, null, null, e.outcome === 'denied' ? 'denied' : e.outcome === 'error' ? 'error-outcome' : 'ok'],
      cells: [e.time, log(e), e.action, e.outcome, e.code ? e.code + '@' + (e.step || '-') : '', e.actor || '', e.tenant || '', (e.job_id || '') + (e.via_lease ? ' (via lease)' : ''), e.executor || '', what(e)]
    };
  }
  var HEADER = ['Time', 'Log#seq', 'Action', 'Outcome', 'Code@step', 'Actor', 'Tenant', 'Job', 'Executor', 'What'];

  function jobs(shown, f) {
    var box = clear(document.getElementById('jobs'));
    var inView = Object.create(null);
    shown.forEach(function (e) { if (e.job_id) inView[e.job_id] = true; });
    var list = data.jobs.filter(function (j) { return inView[j.job_id]; });
    list.slice(0, 200).forEach(function (j) {
      var d = el('details', { class: 'job', 'data-job': j.job_id });
      var head = j.job_id + ' · ' + (j.tenant || '?') + ' · ' + (j.executor || '?') + ' · ' + (j.issued ? 'issued' : 'not issued here') + ', ' +
        j.resolves.granted + ' resolve(s) granted, ' + j.resolves.refused + ' refused, ' + j.renewals + ' renewal(s), ' +
        (j.completed_at ? 'completed ' + j.completed_at : 'not completed') + ' · ' + j.leases.length + ' lease(s) · logs ' + j.origins.join(', ');
      d.appendChild(el('summary', null, head));
      var steps = el('table', { class: 'timeline' });
      table(steps, HEADER, j.events.map(function (i) { return events[i]; }).filter(function (e) { return matches(e, f); }).map(eventRow));
      d.appendChild(steps);
      var leases = el('table', { class: 'leases' });
      table(leases, ['Lease', 'Granted', 'Renewals', 'Revocation outcome'], j.leases.map(function (l) {
        return { attrs: { 'data-lease': l.lease_id }, cells: [l.lease_id, l.granted_at || '', l.renewals, l.outcome] };
      }));
      d.appendChild(leases);
      box.appendChild(d);
    });
    if (list.length > 200) box.appendChild(el('p', { class: 'note' }, 'showing 200 of ' + list.length + ' jobs; narrow the filters to see the rest'));
    return list;
  }

  function render() {
    var f = selected();
    var shown = events.filter(function (e) { return matches(e, f); });
    var jobList = jobs(shown, f);
    summary(shown, jobList);
    chart(shown);
    refusals(shown);
    alerts(shown);
    table(document.getElementById('events'), HEADER, shown.slice(0, MAX_ROWS).map(eventRow));
    document.getElementById('events-note').textContent = shown.length > MAX_ROWS ? 'showing the first ' + MAX_ROWS + ' of ' + shown.length + ' matching events' : shown.length + ' matching event(s)';
  }

  Object.keys(inputs).forEach(function (k) { inputs[k].addEventListener(k === 'from' || k === 'until' ? 'change' : 'input', render); });
  document.getElementById('f-reset').addEventListener('click', function () { Object.keys(inputs).forEach(function (k) { inputs[k].value = ''; }); render(); });
  document.getElementById('app').hidden = false;
  render();
})();
`;
