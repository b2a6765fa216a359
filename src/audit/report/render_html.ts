/**
 * Renders the report as one self-contained HTML file: inline style, inline script, the data as a JSON island, no
 * external asset of any kind (a Content-Security-Policy forbids the page to load or send anything). The
 * verification banner is rendered here, in HTML, so the verdict reads the same with scripts disabled; the
 * script draws the tables, the chart and the filters from the island with textContent only.
 */
import { CLIENT_SCRIPT } from './client_script.ts';
import { REPORT_STYLE } from './report_style.ts';
import type { ReportData } from './report_data.ts';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end its <script> element or open a comment: every <, > and & is a \u escape. */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The whole page. */
export function renderReportHtml(data: ReportData): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(data.title)}</h1><p class="meta">Source <code>${escapeHtml(data.source)}</code> · generated ${escapeHtml(data.generated)} · ${data.events.length} events</p></header>
${renderBanner(data)}
<noscript><p class="note">Tables, chart and filters need JavaScript; the verdict above does not.</p></noscript>
<main id="app" hidden>
<section id="filters" aria-label="filters">
<label>Tenant <select id="f-tenant"><option value="">all</option></select></label>
<label>Job <select id="f-job"><option value="">all</option></select></label>
<label>Executor <select id="f-executor"><option value="">all</option></select></label>
<label>From <input id="f-from" type="text" size="24" placeholder="RFC 3339, inclusive"></label>
<label>Until <input id="f-until" type="text" size="24" placeholder="RFC 3339, exclusive"></label>
<button id="f-reset" type="button">Reset</button>
<span id="f-error" class="error" role="alert"></span>
</section>
<section id="summary" aria-label="counts"></section>
<section><h2>Events over time</h2><div id="chart"></div></section>
<section class="cols">
<div><h2>Refusals by step and code</h2><table id="refusals"></table></div>
<div><h2>Anomaly alerts</h2><table id="alerts"></table></div>
<div><h2>Rate-limit hits</h2><table id="ratelimits"></table></div>
</section>
<section><h2>Jobs</h2><p class="note">Each job from issuance to resolve, renewals, completion and how each lease ended, across every replica's log.</p><div id="jobs"></div></section>
<section><h2>Events</h2><p id="events-note" class="note"></p><table id="events"></table></section>
</main>
<script type="application/json" id="report-data">${jsonIsland(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

function renderBanner(data: ReportData): string {
  const v = data.verification;
  // Amber, not green, when the pass rests on keys found next to the data or leaves events unattested (--allow-unattested).
  const unattested = v.logs.reduce((n, l) => n + (l.unattested ?? 0), 0);
  const reservations = [...(v.pinned ? [] : ['against keys found next to the data (not pinned)']), ...(unattested > 0 ? [`with ${unattested} event(s) no checkpoint attests`] : [])];
  const state = !v.ok ? 'fail' : reservations.length === 0 ? 'pass' : 'warn';
  const heading = !v.ok ? `Verification FAILED: ${v.findings.length} finding(s)` : state === 'pass' ? 'Verification passed: no findings' : `Verification passed ${reservations.join(' and ')}`;
  const logs = v.logs.map((l) => {
    const c = l.checkpoints;
    // Cosignature lines are only counted here; the verifier checks those of the witnesses it was given (--witness-key).
    const sig = c === undefined ? 'no checkpoints' : `${c.checkpoints} checkpoint(s)${v.ok ? ', every one verified' : ''}, ${c.signatures} log signature line(s)`;
    const cosig = c === undefined || c.cosignatures === 0 ? '' : `; ${c.cosignatures} cosignature line(s)`;
    const open = l.unattested === undefined || l.unattested === 0 ? '' : `, ${l.unattested} unattested`;
    const witnessed = (l.witnessed ?? []).map((w) => `; witness <b>${escapeHtml(w.witness)}</b> cosigned ${w.size} events`).join('');
    return `<li><b>${escapeHtml(l.origin ?? l.source)}</b>: ${l.events} events, ${l.attested} attested by checkpoints${open}; ${escapeHtml(sig)}${cosig}${witnessed}; ${l.findings} finding(s)</li>`;
  });
  const findings = v.findings.map(
    (f) =>
      `<li class="finding" data-kind="${escapeHtml(f.kind)}"${f.seq === undefined ? '' : ` data-seq="${f.seq}"`}><b>${escapeHtml(f.kind.toUpperCase())}</b> ${escapeHtml(f.origin ?? 'bundle')}${f.seq === undefined ? '' : ` seq ${f.seq}`} · <code>${escapeHtml(f.where)}</code>: ${escapeHtml(f.message)}</li>`,
  );
  const seqs = [...new Set(v.findings.filter((f) => f.seq !== undefined).map((f) => `${f.origin ?? 'bundle'}#${f.seq}`))];
  return `<section id="banner" class="banner ${state}" data-state="${state}" role="status">
<h2>${escapeHtml(heading)}</h2>
<ul class="logs">${logs.join('')}</ul>
${findings.length === 0 ? '' : `<p id="affected-seqs"><b>Affected seqs:</b> ${escapeHtml(seqs.join(', ') || 'none named')}</p><ol id="findings">${findings.join('')}</ol>`}
${v.notes.length === 0 ? '' : `<ul class="notes">${v.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`}
</section>`;
}
