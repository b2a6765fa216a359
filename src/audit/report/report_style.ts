/** The report page's inline stylesheet: plain, printable, and readable in a PDF attached to evidence. */
export const REPORT_STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 24px 48px;color:#1d232a;background:#fff}
header h1{margin:16px 0 0;font-size:22px}.meta,.note{color:#5b6570}
code{font:12px ui-monospace,Menlo,Consolas,monospace}
h2{font-size:16px;margin:20px 0 8px}
.banner{border:2px solid;border-radius:6px;padding:8px 16px;margin:12px 0}
.banner h2{margin:6px 0}
.banner.pass{background:#e9f7ee;border-color:#1f8a4c}.banner.pass h2{color:#146c3a}
.banner.warn{background:#fff7e0;border-color:#b7791f}.banner.warn h2{color:#8a5a00}
.banner.fail{background:#fdecec;border-color:#c0262d}.banner.fail h2{color:#a01b21}
.banner ul,.banner ol{margin:4px 0;padding-left:22px}.finding{margin:2px 0}
#filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:center;padding:8px 0;border-bottom:1px solid #dde2e6;position:sticky;top:0;background:#fff;z-index:1}
#filters label{display:flex;gap:6px;align-items:center}.error{color:#a01b21}
#summary{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.count{border:1px solid #dde2e6;border-radius:6px;padding:6px 12px;min-width:110px}
.count b{display:block;font-size:20px}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 24px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eef1f3;vertical-align:top}
#events,table.timeline{table-layout:fixed}
#events td,table.timeline td,table.leases td{overflow-wrap:anywhere}
#events th:nth-child(1),.timeline th:nth-child(1){width:11em}
#events th:nth-child(2),.timeline th:nth-child(2){width:8em}
#events th:nth-child(3),.timeline th:nth-child(3){width:6.5em}
#events th:nth-child(4),.timeline th:nth-child(4){width:5em}
#events th:nth-child(5),.timeline th:nth-child(5){width:7em}
#events th:nth-child(6),.timeline th:nth-child(6){width:7em}
#events th:nth-child(7),.timeline th:nth-child(7){width:6em}
#events th:nth-child(8),.timeline th:nth-child(8){width:10em}
#events th:nth-child(9),.timeline th:nth-child(9){width:5em}
#chart svg{max-height:220px}
th{background:#f5f7f8;font-weight:600}
tr.flagged td{background:#fdecec}
.denied,.error-outcome{color:#a01b21}.granted,.ok{color:#146c3a}
details.job{border:1px solid #dde2e6;border-radius:6px;margin:6px 0;padding:4px 10px}
details.job summary{cursor:pointer}
svg text{font:11px system-ui,sans-serif;fill:#5b6570}
@media print{#filters{position:static}}
`;
