import type { PodEvent } from '../pod/events.js';
import type { FaceOffRow } from '../pod/faceoff.js';
import type { podStatus } from '../pod/status.js';
import { FIDELITY } from '../pod/fidelity.js';
import { escapeHtml as h } from '../text.js';
import { CSS, renderFaceOff } from './html.js';

export interface PodDocument {
  metadata: { name: string };
  status: ReturnType<typeof podStatus>;
  endpoint?: { conditions: { ready: boolean; serving: boolean; terminating: boolean } };
  events: PodEvent[];
  emulation: {
    engine: string;
    /** What ran the pod: the engine's kind, or "cri (containerd <version>)". */
    runtime?: string;
    backoffScale: number;
    deleteAfterSeconds: number;
    until?: { condition: string; met: boolean };
    from?: string;
    notes: string[];
  };
}

const POD_CSS = `
.ev-Warning td{color:var(--fail)}table.events td.t{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}
.lane{font:11px system-ui,sans-serif}`;

function stateText(state: object): string {
  const [k, v] = Object.entries(state)[0] ?? ['', {}];
  const o = v as Record<string, unknown>;
  if (k === 'terminated') return `terminated: ${o.reason} (exit ${o.exitCode})`;
  if (k === 'waiting') return `waiting: ${o.reason}`;
  if (k === 'running') return `running since ${o.startedAt}`;
  return '-';
}

/** A lane per container on a shared time axis: each event a tick, coloured by type. */
function timeline(events: PodEvent[]): string {
  const containers = [...new Set(events.map((e) => e.container ?? 'pod'))];
  const end = Math.max(1000, ...events.map((e) => e.atMs));
  const label = 140;
  const width = 760;
  const rowH = 22;
  const x = (ms: number) => label + (ms / end) * width;
  const lanes = containers.map((c, i) => {
    const y = 10 + i * rowH;
    const ticks = events
      .filter((e) => (e.container ?? 'pod') === c && e.reason !== 'ProbeSucceeded')
      .map(
        (e) =>
          `<rect x="${x(e.atMs).toFixed(1)}" y="${y + 3}" width="3" height="${rowH - 8}" fill="${e.type === 'Warning' ? '#b42318' : '#1a7f37'}"><title>${h(`${(e.atMs / 1000).toFixed(1)} s ${e.reason}: ${e.message}`)}</title></rect>`,
      );
    return `<text class="lane" x="${label - 6}" y="${y + 14}" text-anchor="end">${h(c)}</text><line x1="${label}" x2="${label + width}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#d0d7de"/>${ticks.join('')}`;
  });
  const height = 20 + containers.length * rowH + 16;
  return `<svg id="pod-timeline" width="${label + width + 20}" height="${height}" xmlns="http://www.w3.org/2000/svg">${lanes.join('\n')}
<text class="lane" x="${label}" y="${height - 2}">0 s</text><text class="lane" x="${label + width}" y="${height - 2}" text-anchor="end">${(end / 1000).toFixed(1)} s</text></svg>`;
}

/** The pod run as one self-contained page: status, timeline, events, face-off. */
export function renderPodHtml(doc: PodDocument, faceOff?: FaceOffRow[]): string {
  const s = doc.status;
  const rows = [
    ...s.initContainerStatuses.map((c) => ({ ...c, kind: 'init' })),
    ...s.containerStatuses.map((c) => ({ ...c, kind: 'app' })),
  ]
    .map(
      (c) =>
        `<tr><th>${h(c.name)}</th><td>${c.kind}</td><td>${h(stateText(c.state))}</td><td>${h(Object.keys(c.lastState).length ? stateText(c.lastState) : '-')}</td><td>${c.ready}</td><td>${c.restartCount}</td></tr>`,
    )
    .join('\n');
  const events = doc.events
    .map(
      (e) =>
        `<tr class="ev-${e.type}"><td class="t">${(e.atMs / 1000).toFixed(2)} s</td><td>${e.type}</td><td>${h(e.reason)}</td><td>${h(e.container ?? '-')}</td><td>${h(e.message)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pod ${h(doc.metadata.name)}</title><style>${CSS}${POD_CSS}</style></head>
<body><header><h1>Pod ${h(doc.metadata.name)}: ${h(s.phase)}</h1>
<div class="meta"><span>engine <b>${h(doc.emulation.engine)}</b></span><span>${doc.emulation.until ? `ran until <b>${h(doc.emulation.until.condition)}</b> (${doc.emulation.until.met ? 'held' : `unmet within ${doc.emulation.deleteAfterSeconds} s`})` : `deleted after <b>${doc.emulation.deleteAfterSeconds} s</b>`}</span><span>back-off scale <b>${doc.emulation.backoffScale}</b></span>
${doc.endpoint ? `<span>endpoint: ready <b>${doc.endpoint.conditions.ready}</b>, serving <b>${doc.endpoint.conditions.serving}</b>, terminating <b>${doc.endpoint.conditions.terminating}</b></span>` : ''}
<span>conditions: ${s.conditions.map((c) => `<span class="chip v-${c.status === 'True' ? 'pass' : 'fail'}">${h(c.type)}</span>`).join(' ')}</span></div></header>
<main>
<h2>Containers</h2><table id="containers"><thead><tr><th>container</th><th>kind</th><th>state</th><th>last state</th><th>ready</th><th>restarts</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Timeline</h2><p class="legend">Every event but successful probe results; red: warnings. Hover for the message.</p>${timeline(doc.events)}
<h2>Events</h2><table class="events" id="events"><thead><tr><th>at</th><th>type</th><th>reason</th><th>container</th><th>message</th></tr></thead><tbody>${events}</tbody></table>
${renderFaceOff(faceOff)}
<h2>Emulation notes for this pod</h2><ul>${doc.emulation.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>
<h2>Kubelet fidelity</h2><table id="fidelity"><thead><tr><th>kubelet behaviour</th><th>fidelity</th><th>how</th><th>follows</th></tr></thead><tbody>${FIDELITY.map(
    (n) => ({ ...n, ...(doc.emulation.runtime?.startsWith('cri') && n.cri ? n.cri : {}) }),
  )
    .map((n) => `<tr><th>${h(n.behaviour)}</th><td>${h(n.level)}</td><td>${h(n.how)}</td><td>${h(n.follows)}</td></tr>`)
    .join('\n')}</tbody></table>
</main></body></html>
`;
}
