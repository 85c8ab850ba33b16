// The conformance report as a readable HTML page beside its JSON: each scenario passed or failed, the reason,
// and the packet (or refusal) that showed it. Self-contained (no scripts, no external files).

import type { ConformanceReport } from './client-kit.ts';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function reportHtml(r: ConformanceReport): string {
  const rows = r.scenarios.map((s) => `<tr class="${s.passed ? 'pass' : 'fail'}"><td>${s.passed ? 'ĐẠT / PASS' : 'KHÔNG ĐẠT / FAIL'}</td>`
    + `<td><code>${escape(s.id)}</code><br>${escape(s.title)}</td><td>${escape(s.reason)}</td><td>${s.seconds} s</td>`
    + `<td>${s.evidence === undefined ? '' : `<details><summary>gói tin / packet</summary><pre>${escape(JSON.stringify(s.evidence, null, 2))}</pre></details>`}</td></tr>`).join('\n');
  const passed = r.scenarios.filter((s) => s.passed).length;
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Kiểm tra phù hợp / Conformance: ${escape(r.vendorSystem)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
tr.pass td:first-child{color:#0a6b2d;font-weight:bold}tr.fail td:first-child{color:#b00020;font-weight:bold}pre{white-space:pre-wrap;max-height:30em;overflow:auto}</style></head>
<body><h1>Kiểm tra phù hợp hệ thống QLVBĐH / Conformance of an agency system</h1>
<p>${escape(r.kit)} · giao thức / protocol: ${escape(r.protocol)} · đơn vị / agency <code>${escape(r.vendorAgency)}</code> · ${escape(r.startedAt)} → ${escape(r.endedAt)}</p>
<p><strong>${r.passed ? 'ĐẠT / PASSED' : 'KHÔNG ĐẠT / FAILED'}</strong>: ${passed}/${r.scenarios.length} kịch bản đạt / scenarios passed.</p>
<table><thead><tr><th>Kết quả / Result</th><th>Kịch bản / Scenario</th><th>Lý do / Reason</th><th>Thời gian / Time</th><th>Bằng chứng / Evidence</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
