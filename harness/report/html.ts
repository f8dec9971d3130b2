import { shownVerdict, type Report, type ReportResult } from './model.js';
import {
  cellAt,
  certifyVerdict,
  enginesLabel,
  graceLabel,
  matrixCells,
  rowOf,
  unexpectedOf,
  type Cell,
} from './cells.js';
import { engineDifferences } from './merge.js';
import { describeChange, type CellChange } from './diff.js';
import { escapeHtml as h } from '../text.js';
import { describeLoad } from '../run/load-info.js';
import type { FaceOffRow } from '../pod/faceoff.js';

export const CSS = `
:root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#b42318;--fail-bg:#ffe4e1;--partial:#9a6700;--partial-bg:#fff4c2;--error:#6639ba;--error-bg:#efe6ff;--skip:#57606a;--skip-bg:#eef0f2;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:16px 24px;border-bottom:1px solid var(--line);background:#f6f8fa}h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:24px 0 8px}
main{padding:0 24px 40px}.meta{display:flex;flex-wrap:wrap;gap:6px 18px;color:var(--muted)}.meta b{color:#1f2328;font-weight:600}
.chip{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.incomplete{border:1px solid var(--error);background:var(--error-bg);padding:.5em .8em}
.v-pass{color:var(--pass);background:var(--pass-bg)}.v-fail{color:var(--fail);background:var(--fail-bg)}.v-partial,.v-warning{color:var(--partial);background:var(--partial-bg)}.v-error{color:var(--error);background:var(--error-bg)}.v-skip{color:var(--skip);background:var(--skip-bg)}
table{border-collapse:collapse}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
table.matrix th{background:#f6f8fa;position:sticky;top:0}table.matrix td.cell{padding:0}
table.matrix td.cell a{display:block;padding:4px 8px;color:inherit;text-decoration:none;white-space:nowrap;font-variant-numeric:tabular-nums}
table.matrix td.cell a:hover{outline:2px solid #0969da;outline-offset:-2px}
.unexpected{font-weight:700;color:#cf222e;margin-left:4px}
section.evidence{display:none;border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:12px 0;background:#fff}
section.evidence:target,section.evidence.shown{display:block}
.scenario{border-top:1px dashed var(--line);padding-top:8px;margin-top:8px}.scenario:first-of-type{border-top:0}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:8px;overflow:auto;max-height:320px;margin:4px 0;font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}.kv dt{color:var(--muted)}.kv dd{margin:0;font-family:ui-monospace,monospace;font-size:12px}
.stderr{color:#b42318}.legend{color:var(--muted);font-size:12px;margin:6px 0}
svg text{font:11px system-ui,sans-serif}ul.changes li.regression{color:var(--fail)}ul.changes li.improvement{color:var(--pass)}
`;

// Without a script the cells still work: each is a link to its evidence section, shown
// by :target. The script only keeps one section open and scrolls it into view.
const SCRIPT = `
document.querySelectorAll('td.cell a').forEach(function(a){a.addEventListener('click',function(ev){
  ev.preventDefault();var id=a.getAttribute('href').slice(1);
  document.querySelectorAll('section.evidence.shown').forEach(function(s){s.classList.remove('shown')});
  var s=document.getElementById(id);if(s){s.classList.add('shown');s.scrollIntoView({block:'nearest'});history.replaceState(null,'','#'+id);}
});});
`;

function json(value: unknown): string {
  return h(JSON.stringify(value ?? null, null, 0));
}

function scenarioBlock(r: ReportResult): string {
  const ev = r.evidence;
  const unexpected = unexpectedOf(r);
  const parts: string[] = [];
  parts.push(`<div class="scenario" data-scenario="${h(r.scenario ?? '')}">`);
  parts.push(
    `<p><span class="chip v-${r.verdict}">${r.verdict}</span> <b>${h(r.check)}${r.scenario ? ` / ${h(r.scenario)}` : ''}</b>: ${h(r.reason)}</p>`,
  );
  parts.push('<dl class="kv">');
  parts.push(`<dt>did</dt><dd>${h(r.did)}</dd>`);
  parts.push(`<dt>observed</dt><dd>${json(stripBulky(r.observed))}</dd>`);
  if (r.expected)
    parts.push(
      `<dt>expected</dt><dd>${json(r.expected)}${unexpected.length ? ` <span class="unexpected">differs: ${h(unexpected.join('; '))}</span>` : ''}</dd>`,
    );
  if (ev.exitCode !== undefined) parts.push(`<dt>exit code</dt><dd>${h(String(ev.exitCode))}</dd>`);
  if (ev.state) parts.push(`<dt>engine state</dt><dd>${json(ev.state)}</dd>`);
  if (ev.timings) parts.push(`<dt>timings (ms)</dt><dd>${json(ev.timings)}</dd>`);
  if (ev.events?.length)
    parts.push(
      `<dt>engine events</dt><dd>${h(ev.events.map((e) => `${e.action}${e.attributes.signal ? ` signal=${e.attributes.signal}` : ''}`).join(', '))}</dd>`,
    );
  parts.push(`<dt>scenario time</dt><dd>${Math.round(r.durationMs)} ms</dd>`);
  parts.push('</dl>');
  for (const [i, snap] of (ev.ps ?? []).entries()) {
    const rows = snap.processes.map(
      (p) => `${String(p.pid).padStart(5)} ${String(p.ppid).padStart(5)} ${p.stat.padEnd(4)} ${p.args || p.comm}`,
    );
    parts.push(`<div>ps snapshot ${i + 1}:</div><pre class="ps">  PID  PPID STAT COMMAND\n${h(rows.join('\n'))}</pre>`);
  }
  if (ev.logs?.length) {
    const lines = ev.logs.map((l) => `<span class="${l.stream}">${h(l.text)}</span>`);
    parts.push(
      `<div>logs (${ev.logs.length} lines, <span class="stderr">stderr</span> in red):</div><pre class="logs">${lines.join('\n')}</pre>`,
    );
  }
  for (const note of ev.notes ?? []) parts.push(`<pre class="note">${h(note)}</pre>`);
  parts.push('</div>');
  return parts.join('\n');
}

/** The process table is in the evidence; the observed summary stays short. */
function stripBulky(observed: Record<string, unknown>): Record<string, unknown> {
  const { processes, ...rest } = observed;
  return processes ? { ...rest, processes: `${(processes as unknown[]).length} rows (see ps snapshot)` } : rest;
}

function evidenceSection(cell: Cell): string {
  return `<section class="evidence" id="ev-${cell.id}" data-subject="${h(cell.subject)}" data-check="${h(cell.check)}">
<h3>${h(cell.subject)} · ${h(cell.check)} <span class="chip v-${cell.verdict}">${cell.verdict}</span></h3>
${cell.results.map(scenarioBlock).join('\n')}
</section>`;
}

function stopChart(report: Report): string {
  const stops = report.results.flatMap((r) => (r.stop ? [{ r, ...r.stop }] : []));
  if (!stops.length) return '';
  const graceMs = report.graceSeconds * 1000;
  const maxMs = Math.max(graceMs * 1.25, ...stops.map((s) => s.stopDurationMs));
  // Room for the longest subject name (about 7 px a character at the chart's font),
  // within reason; a longer one is cut with an ellipsis, its whole name in a tooltip.
  const MAX_CHARS = 60;
  const longest = Math.max(...stops.map(({ r }) => Math.min(rowOf(report, r).length, MAX_CHARS)));
  const label = Math.max(120, longest * 7 + 16);
  const short = (t: string) => (t.length > MAX_CHARS ? `${t.slice(0, MAX_CHARS - 1)}…` : t);
  const width = 560;
  const rowH = 18;
  const top = 20;
  const x = (ms: number) => label + (ms / maxMs) * width;
  const bars = stops.map(({ r, stopDurationMs: ms, killed, exitCode }, i) => {
    const y = top + i * rowH;
    const cls = killed ? 'var(--fail)' : 'var(--pass)';
    return `<g class="bar" data-subject="${h(r.subject)}"><text x="${label - 6}" y="${y + 12}" text-anchor="end"><title>${h(rowOf(report, r))}</title>${h(short(rowOf(report, r)))}</text>
<rect x="${label}" y="${y + 2}" width="${Math.max(1, x(ms) - label).toFixed(1)}" height="${rowH - 5}" fill="${cls}"><title>${h(r.subject)}: ${ms} ms, exit ${h(String(exitCode))}${killed ? ', SIGKILL' : ''}</title></rect>
<text x="${(x(ms) + 4).toFixed(1)}" y="${y + 12}">${(ms / 1000).toFixed(2)} s${killed ? ' KILL' : ''}</text></g>`;
  });
  const height = top + stops.length * rowH + 24;
  const gx = x(graceMs).toFixed(1);
  return `<h2>Stop duration against the grace period</h2>
<p class="legend">From the stop request to the engine's finish time. Green: exited on the stop signal; red: SIGKILLed after the grace period (dashed line, ${report.graceSeconds} s).</p>
<svg id="stop-chart" role="img" aria-label="stop duration per subject" width="${label + width + 90}" height="${height}" xmlns="http://www.w3.org/2000/svg">
${bars.join('\n')}
<line x1="${gx}" x2="${gx}" y1="${top - 6}" y2="${height - 18}" stroke="#1f2328" stroke-dasharray="4 3"/>
<text x="${gx}" y="${top - 8}" text-anchor="middle">grace ${report.graceSeconds} s</text>
<line x1="${label}" x2="${label + width}" y1="${height - 18}" y2="${height - 18}" stroke="#d0d7de"/>
<text x="${label}" y="${height - 4}">0</text><text x="${label + width}" y="${height - 4}" text-anchor="end">${(maxMs / 1000).toFixed(1)} s</text>
</svg>`;
}

/** In a report merged across engines: every cell whose verdict or key figure differs. */
function engineDifferenceSection(report: Report): string {
  if (!report.engines) return '';
  const engines = report.engines.map((e) => e.kind);
  const diffs = engineDifferences(report);
  const title = `<h2>${engines.map(h).join(' vs ')}: cells that differ (${diffs.length})</h2>`;
  if (!diffs.length) return `${title}<p>Every cell agrees.</p>`;
  const rows = diffs.map(
    (d) =>
      `<tr><th>${h(d.subject)}</th><td>${h(d.check)}</td><td>${h(d.scenario ?? '')}</td>${engines
        .map((e) => {
          const x = d.by[e];
          return x ? `<td class="cell v-${x.verdict}">${h(x.figure)}</td>` : '<td>not run</td>';
        })
        .join('')}<td>${h(d.note ?? '')}</td></tr>`,
  );
  return `${title}<table id="engine-differences"><thead><tr><th>subject</th><th>check</th><th>scenario</th>${engines.map((e) => `<th>${h(e)}</th>`).join('')}<th>why</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function changesSection(changes: CellChange[] | undefined): string {
  if (!changes) return '';
  if (!changes.length) return '<h2>Changes against the baseline</h2><p>No cell changed.</p>';
  return `<h2>Changes against the baseline</h2><ul class="changes">${changes.map((c) => `<li class="${c.kind}">${h(describeChange(c))}</li>`).join('')}</ul>`;
}

/** The postStart / init container / startup probe face-off, each cell measured. */
export function renderFaceOff(rows: FaceOffRow[] | undefined): string {
  if (!rows?.length) return '';
  const cols: [keyof FaceOffRow, string][] = [
    ['sameContainer', 'same container?'],
    ['scope', 'scope'],
    ['image', 'image'],
    ['runGuarantee', 'run guarantee (measured)'],
    ['onFailure', 'on failure (measured)'],
    ['usage', 'usage'],
    ['count', 'how often it runs (measured)'],
  ];
  const body = rows
    .map(
      (r) =>
        `<tr><th>${h(r.mechanism)}</th>${cols.map(([k]) => `<td>${h(String(r[k]))}</td>`).join('')}<td>${r.evidence.map((e) => `<code>${h(e)}</code>`).join('<br>')}</td></tr>`,
    )
    .join('\n');
  return `<h2>postStart hook vs init container vs startup probe</h2>
<p class="legend">Each row measured by running the reference pods on the engine (times from the pod's start).</p>
<table id="faceoff"><thead><tr><th></th>${cols.map(([, t]) => `<th>${h(t)}</th>`).join('')}<th>scenario</th></tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * What a certify page opens on: the verdict, then each failed check with its reason and
 * what the policy expects (its evidence one click away), then the warnings.
 */
function verdictSection(report: Report, cells: Map<string, Cell>): string {
  const a = certifyVerdict(report);
  const link = (r: ReportResult) => {
    const cell = [...cells.values()].find((c) => c.results.includes(r));
    return cell ? ` <a href="#ev-${cell.id}">evidence</a>` : '';
  };
  const item = (r: ReportResult) =>
    `<li><b>${h(r.check)}${r.scenario ? ` (${h(r.scenario)})` : ''}</b>${(report.images ?? []).length > 1 ? ` · ${h(r.subject)}` : ''}: ${h(r.reason)}${r.expectation ? `<br><span class="legend">expected: ${h(r.expectation)}</span>` : ''}${link(r)}</li>`;
  const failed = report.results.filter((r) => ['fail', 'error'].includes(shownVerdict(r)));
  const warned = report.results.filter((r) => shownVerdict(r) === 'warning');
  const head =
    a.verdict === 'cannot-certify'
      ? `<p><b class="chip v-error">COULD NOT BE CERTIFIED</b> ${h(a.why ?? '')}</p>`
      : `<p><b class="chip v-${a.verdict}">${a.verdict === 'pass' ? 'PASSES' : 'FAILS'} the policy</b></p>`;
  return `<section id="verdict"><h2>Verdict</h2>${head}
${failed.length ? `<h3>Failed (${failed.length})</h3><ul>${failed.map(item).join('')}</ul>` : ''}
${warned.length ? `<h3>Warnings: failed checks the policy does not require (${warned.length})</h3><ul>${warned.map(item).join('')}</ul>` : ''}</section>`;
}

/** A certify report's verdict: passes, fails, or could not be certified and why. */
function certifyBadge(report: Report): string {
  const a = certifyVerdict(report);
  if (a.verdict === 'cannot-certify')
    return `<span>verdict <b class="chip v-error">COULD NOT BE CERTIFIED</b> ${h(a.why ?? '')}</span>`;
  return `<span>verdict <b class="chip v-${a.verdict}">${a.verdict === 'pass' ? 'PASSES' : 'FAILS'} the policy</b></span>`;
}

/** The report as one self-contained HTML page: inline CSS and script, no fetches. */
export function renderHtml(report: Report, options: { changes?: CellChange[]; title?: string } = {}): string {
  const { subjects, checks, cells } = matrixCells(report);
  const t = report.totals;
  const durationS = ((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000).toFixed(1);
  const title =
    options.title ??
    (report.kind === 'certify' ? `Certification: ${report.image ?? ''}` : 'Container behaviour face-off');
  const head = `<tr><th>subject</th>${checks.map((c) => `<th>${h(c)}</th>`).join('')}</tr>`;
  const rows = subjects.map((s) => {
    const tds = checks.map((c) => {
      const cell = cellAt(cells, s, c);
      if (!cell) return '<td></td>';
      const mark = cell.unexpected.length
        ? `<span class="unexpected" title="${h(cell.unexpected.join('; '))}">≠</span>`
        : '';
      return `<td class="cell v-${cell.verdict}" data-subject="${h(s)}" data-check="${h(c)}" data-verdict="${cell.verdict}"><a href="#ev-${cell.id}">${h(cell.figure)}${mark}</a></td>`;
    });
    return `<tr><th>${h(s)}</th>${tds.join('')}</tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title><style>${CSS}</style></head>
<body>
<header><h1>${h(title)}</h1>
<div class="meta"><span>engine <b>${h(enginesLabel(report))}</b>${report.engine.cgroupVersion && !report.engines ? ` (cgroup v${h(report.engine.cgroupVersion)})` : ''}</span>
<span>date <b>${h(report.startedAt)}</b></span><span>grace <b>${h(graceLabel(report))}</b></span><span>concurrency <b>${report.load ? h(describeLoad(report.load)) : report.concurrency}</b></span><span>run time <b>${durationS} s</b></span>
<span>results <b>${report.results.length}</b>: <span class="chip v-pass">${t.pass} pass</span> <span class="chip v-fail">${t.fail} fail</span> ${t.warning ? `<span class="chip v-warning">${t.warning} warning</span> ` : ''}<span class="chip v-error">${t.error} error</span> <span class="chip v-skip">${t.skip} skip</span></span>
${report.kind === 'certify' ? certifyBadge(report) : ''}</div></header>
<main>
${report.incomplete ? `<p class="incomplete"><b>Incomplete:</b> ${h(report.incomplete.reason)}; ${report.incomplete.ran} of ${report.incomplete.planned} scenarios ran.</p>` : ''}
${changesSection(options.changes)}
${report.kind === 'certify' ? verdictSection(report, cells) : ''}
${
  checks.length
    ? `<h2>Matrix</h2>
<p class="legend">Each cell: the key figure of the check (exit code and stop time, signals received, zombies left, ...), coloured by verdict (<span class="chip v-pass">pass</span> <span class="chip v-partial">partial</span> <span class="chip v-fail">fail</span> <span class="chip v-warning">warning: failed, not required by the policy</span> <span class="chip v-error">error</span>); <span class="unexpected">≠</span> marks an observation that differs from the subject's expected row. Click a cell for its evidence.</p>
<table class="matrix" id="matrix"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`
    : '<p>No check ran.</p>'
}
${engineDifferenceSection(report)}
<div id="evidence">${[...cells.values()].map(evidenceSection).join('\n')}</div>
${stopChart(report)}
${renderFaceOff(report.lifecycle?.rows)}
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}
