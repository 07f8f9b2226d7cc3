import type { TransferResult } from '../schemas/transfer.js';

/** JSON safe to embed in a <script> element. */
function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (x: number | null, digits = 2) => (x === null ? '–' : x.toFixed(digits));

/**
 * The charts are drawn in the browser from the embedded result (plain SVG, no library), so the page
 * is one self-contained file; once drawn, <body data-charts="N"> tells a headless check they rendered.
 */
const RENDERER = `
const result = JSON.parse(document.getElementById('result').textContent);
const COLORS = { cold: '#1f77b4', warm: '#ff7f0e', cold2x: '#7f7f7f' };
const NS = 'http://www.w3.org/2000/svg';
function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}
function axes(svg, w, h, pad, xMax, yMin, yMax, xLabel, yLabel) {
  el('line', { x1: pad, y1: h - pad, x2: w - 10, y2: h - pad, stroke: '#333' }, svg);
  el('line', { x1: pad, y1: 10, x2: pad, y2: h - pad, stroke: '#333' }, svg);
  for (let i = 0; i <= 4; i++) {
    const y = yMin + ((yMax - yMin) * i) / 4, py = h - pad - ((h - pad - 10) * i) / 4;
    el('text', { x: pad - 6, y: py + 4, 'text-anchor': 'end', 'font-size': 10 }, svg).textContent = y.toPrecision(3);
    if (xMax > 0) {
      const x = (xMax * i) / 4, px = pad + ((w - pad - 10) * i) / 4;
      el('text', { x: px, y: h - pad + 14, 'text-anchor': 'middle', 'font-size': 10 }, svg).textContent = x.toFixed(0);
    }
  }
  el('text', { x: (w + pad) / 2, y: h - 4, 'text-anchor': 'middle', 'font-size': 11 }, svg).textContent = xLabel;
  el('text', { x: 12, y: h / 2, 'font-size': 11, transform: 'rotate(-90 12 ' + h / 2 + ')', 'text-anchor': 'middle' }, svg).textContent = yLabel;
}
function curveChart(target, c) {
  const w = 520, h = 260, pad = 50;
  const svg = el('svg', { class: 'chart curve', width: w, height: h, viewBox: '0 0 ' + w + ' ' + h }, target);
  const runs = ['cold2x', 'cold', 'warm'].flatMap((arm) => c.arms[arm].map((r) => ({ arm, r })));
  const points = runs.flatMap(({ r }) => r.curve);
  const xMax = Math.max(1, ...points.map((p) => p.compute));
  const ys = points.map((p) => p.best).concat([c.target]);
  let yMin = Math.min(...ys), yMax = Math.max(...ys);
  if (yMax - yMin < 1e-9) { yMin -= 0.01; yMax += 0.01; }
  axes(svg, w, h, pad, xMax, yMin, yMax, 'compute seconds', c.metric + ' (graded)');
  const sx = (x) => pad + ((w - pad - 10) * x) / xMax;
  const sy = (y) => h - pad - ((h - pad - 10) * (y - yMin)) / (yMax - yMin);
  el('line', { x1: pad, x2: w - 10, y1: sy(c.target), y2: sy(c.target), stroke: '#2ca02c', 'stroke-dasharray': '4 3' }, svg);
  for (const { arm, r } of runs) {
    if (r.curve.length === 0) continue;
    const pts = r.curve.map((p, i) => (i === 0 ? sx(0) + ',' + sy(p.best) + ' ' : '') + sx(p.compute) + ',' + sy(p.best)).join(' ');
    el('polyline', { points: pts, fill: 'none', stroke: COLORS[arm], 'stroke-width': 1.6, opacity: 0.85, 'data-arm': arm }, svg);
  }
}
function targetBars(target) {
  const w = 760, h = 280, pad = 50;
  const svg = el('svg', { class: 'chart bars', width: w, height: h, viewBox: '0 0 ' + w + ' ' + h }, target);
  const rows = result.competitions.map((c) => ({ name: c.competition, cold: mean(c.arms.cold), warm: mean(c.arms.warm) }));
  const yMax = Math.max(1, ...rows.flatMap((r) => [r.cold, r.warm]).filter((v) => v !== null));
  axes(svg, w, h, pad, 0, 0, yMax, '', 'compute-to-target (s)');
  const slot = (w - pad - 10) / Math.max(1, rows.length);
  rows.forEach((r, i) => {
    ['cold', 'warm'].forEach((arm, j) => {
      const v = r[arm];
      const x = pad + i * slot + slot * 0.15 + j * slot * 0.35, bh = v === null ? 0 : ((h - pad - 10) * v) / yMax;
      el('rect', { x, y: h - pad - bh, width: slot * 0.3, height: Math.max(bh, 0.5), fill: COLORS[arm], 'data-arm': arm }, svg);
      if (v === null) el('text', { x: x + slot * 0.15, y: h - pad - 4, 'font-size': 9, 'text-anchor': 'middle' }, svg).textContent = 'n/r';
    });
    el('text', { x: pad + (i + 0.5) * slot, y: h - pad + 28, 'font-size': 10, 'text-anchor': 'middle' }, svg).textContent = r.name;
  });
}
function mean(runs) {
  const xs = runs.map((r) => r.computeToTarget).filter((v) => v !== null);
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}
let charts = 0;
targetBars(document.getElementById('bars')); charts++;
for (const c of result.competitions) { curveChart(document.getElementById('curve-' + c.competition), c); charts++; }
document.body.dataset.charts = String(charts);
`;

/** One self-contained HTML page for a transfer benchmark result: curves, compute-to-target bars, skills used. */
export function renderTransferReport(result: TransferResult): string {
  const sections = result.competitions
    .map((c) => {
      const rows = (['cold', 'warm', 'cold2x'] as const)
        .map((arm) => {
          const runs = c.arms[arm];
          const ctt = runs.map((r) => fmt(r.computeToTarget, 1)).join(', ');
          const scores = runs.map((r) => fmt(r.finalScore, 4)).join(', ');
          const keep = runs.map((r) => fmt(r.keepRate, 2)).join(', ');
          return `<tr><td class="arm ${arm}">${arm}</td><td>${ctt}</td><td>${scores}</td><td>${keep}</td><td>${runs.map((r) => r.steps).join(', ')}</td></tr>`;
        })
        .join('');
      return `<section><h2>${escapeHtml(c.competition)} <small>${escapeHtml(c.metric)} (${c.direction}), target ${c.target.toPrecision(4)} (${c.targetSource})</small></h2>
<p>cold / warm compute-to-target: <b>${fmt(c.ratio.mean)}×</b> ± ${fmt(c.ratio.sem)} (n = ${c.ratio.n})</p>
<div id="curve-${escapeHtml(c.competition)}"></div>
<table><tr><th>arm</th><th>compute-to-target (s) per seed</th><th>final score per seed</th><th>keep rate</th><th>steps</th></tr>${rows}</table></section>`;
    })
    .join('\n');
  const skills = result.skills
    .map((s) => `<tr><td>${escapeHtml(s.tier)}</td><td>${escapeHtml(s.title)}</td><td>${escapeHtml(s.status)}</td><td>${s.uses}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HASTE transfer benchmark</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.arm.cold { color: #1f77b4; } .arm.warm { color: #ff7f0e; } .arm.cold2x { color: #7f7f7f; }
small { color: #666; font-weight: normal; } .legend span { margin-right: 16px; }
</style></head>
<body>
<h1>HASTE transfer benchmark</h1>
<p>${result.createdAt} · train on ${result.train.map(escapeHtml).join(', ')} · held out ${result.heldout.map(escapeHtml).join(', ')} · seeds ${result.seeds.join(', ')} · budget ${result.budgetSeconds} s per episode (cold2x: twice that)</p>
<p><b>Cold / warm compute-to-target: ${fmt(result.total.ratio.mean)}× ± ${fmt(result.total.ratio.sem)}</b> (mean ± SEM over ${result.total.ratio.n} competition-seeds where both reached the target; reached it: cold ${result.total.reached.cold}, warm ${result.total.reached.warm}, cold 2× ${result.total.reached.cold2x} of ${result.total.comparisons}); warm final score ≥ cold in ${result.total.warmNotWorse} of ${result.total.comparisons}.</p>
<p class="legend"><span class="arm cold">■ cold</span><span class="arm warm">■ warm (skills)</span><span class="arm cold2x">■ cold, 2× budget</span><span style="color:#2ca02c">– – target</span></p>
<h2>Compute-to-target</h2><div id="bars"></div>
${sections}
<h2>Skills used</h2>
<table><tr><th>tier</th><th>skill</th><th>status</th><th>uses in warm runs</th></tr>${skills}</table>
<script type="application/json" id="result">${embedJson(result)}</script>
<script>${RENDERER}</script>
</body></html>
`;
}
