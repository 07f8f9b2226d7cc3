import { formatMoney, priceTokens, type Money } from '../agents/cost.js';
import type { PriceTable } from '../schemas/prices.js';
import { ARMS, armTokens, type ArmRun, type ArmTokens, type TransferResult } from '../schemas/transfer.js';

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
const UNIT = result.computeUnit === 'cpu-seconds' ? 'CPU seconds' : 'slot seconds';
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
  axes(svg, w, h, pad, xMax, yMin, yMax, UNIT, c.metric + ' (graded)');
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
  axes(svg, w, h, pad, 0, 0, yMax, '', 'compute-to-target (' + UNIT + ')');
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

const ARM_NAMES = { cold: 'cold', warm: 'warm', cold2x: 'cold 2×' } as const;

/** What runs' tokens cost under a price table, per target reached; null when a run's model has no price (or currencies differ). */
export function costPerTarget(runs: ArmRun[], prices: PriceTable): { total: Money; perTarget: Money | null } | null {
  const costs = runs.filter((r) => r.promptTokens + r.completionTokens > 0).map((r) => priceTokens(prices, r.model, r.promptTokens, r.completionTokens));
  if (costs.some((c) => c === null) || new Set(costs.map((c) => c!.currency)).size > 1) return null;
  // Runs without tokens (offline) cost nothing, in the table's first currency.
  const currency = costs[0]?.currency ?? Object.values(prices)[0]!.currency;
  const amount = costs.reduce((s, c) => s + c!.amount, 0);
  const reached = runs.filter((r) => r.computeToTarget !== null).length;
  return { total: { amount, currency }, perTarget: reached ? { amount: amount / reached, currency } : null };
}

/** The LLM cost paragraph: tokens per target reached per arm (the HASTE paper's tokens per medal), and money when priced. */
function tokensParagraph(result: TransferResult, prices: PriceTable | null): string {
  const runs = (arm: (typeof ARMS)[number]) => result.competitions.flatMap((c) => c.arms[arm]);
  const tokens = result.total.tokens ?? (Object.fromEntries(ARMS.map((arm) => [arm, armTokens(runs(arm))])) as Record<(typeof ARMS)[number], ArmTokens>);
  const arms = ARMS.filter((arm) => runs(arm).length > 0).map((arm) => {
    const t = tokens[arm];
    const cost = prices ? costPerTarget(runs(arm), prices) : null;
    const money = prices
      ? ` · <span class="money">${cost ? `${formatMoney(cost.total)}, ${cost.perTarget ? `${formatMoney(cost.perTarget)} per target` : 'no target reached'}` : 'no price for its model'}</span>`
      : '';
    return `<span class="tokens ${arm}">${ARM_NAMES[arm]}: <b>${t.perTarget === null ? 'n/r' : Math.round(t.perTarget)}</b> (${t.promptTokens} prompt + ${t.completionTokens} completion over ${t.reached} reached)${money}</span>`;
  });
  const agent = result.agent === 'llm' ? 'LLM agent' : 'offline agent: no model asked, so 0 tokens';
  return `<p>LLM tokens per target reached (${agent}): ${arms.join('; ')}</p>`;
}

/** One self-contained HTML page for a transfer benchmark result: curves, compute-to-target bars, skills used, LLM cost. */
export function renderTransferReport(result: TransferResult, prices: PriceTable | null = null): string {
  const unit = result.computeUnit === 'cpu-seconds' ? 'CPU seconds of the runner' : 'slot seconds';
  const short = result.computeUnit === 'cpu-seconds' ? 'CPU s' : 'slot s';
  const ms = (m: { mean: number | null; sem: number | null; n: number } | undefined, digits = 2) => (m ? `${fmt(m.mean, digits)} ± ${fmt(m.sem, digits)}` : '–');
  const sections = result.competitions
    .map((c) => {
      const titles = new Map(c.skills.map((s) => [s.id, s]));
      const rows = (['cold', 'warm', 'cold2x'] as const)
        .map((arm) => {
          const runs = c.arms[arm];
          const ctt = runs.map((r) => fmt(r.computeToTarget, 1)).join(', ');
          const scores = runs.map((r) => fmt(r.finalScore, 4)).join(', ');
          const keep = runs.map((r) => fmt(r.keepRate, 2)).join(', ');
          const best = runs.map((r) => r.stepsToBest ?? '–').join(', ');
          const used = runs.map((r) => (r.skillsUsed.length ? r.skillsUsed.map((id) => escapeHtml(titles.get(id)?.title ?? id)).join('; ') : '–')).join(' | ');
          const tokens = runs.map((r) => `${r.promptTokens}+${r.completionTokens}`).join(', ');
          const ttt = runs.map((r) => r.tokensToTarget ?? 'n/r').join(', ');
          return `<tr><td class="arm ${arm}">${arm}</td><td>${ctt}</td><td>${scores}</td><td>${best}</td><td>${keep}</td><td>${runs.map((r) => r.steps).join(', ')}</td><td class="tokens">${tokens}</td><td>${ttt}</td><td class="used">${used}</td></tr>`;
        })
        .join('');
      const negative = c.negativeTransfer
        ? `<p class="negative"><b>Negative transfer</b>: warm's mean final score is worse than cold's by more than the seed noise (${c.noise === null ? 'one seed: any loss counts' : `± ${c.noise.toPrecision(3)}`}).</p>`
        : `<p>No negative transfer (seed noise ${c.noise === null ? 'not estimated: one seed' : `± ${c.noise.toPrecision(3)}`}).</p>`;
      return `<section><h2>${escapeHtml(c.competition)} <small>${escapeHtml(c.metric)} (${c.direction}), target ${c.target.toPrecision(4)} (${c.targetSource})</small></h2>
${c.train.length ? `<p>learned on: ${c.train.map(escapeHtml).join(', ')}</p>` : ''}
<p>cold / warm compute-to-target: <b>${fmt(c.ratio.mean)}×</b> ± ${fmt(c.ratio.sem)} (n = ${c.ratio.n})</p>
${negative}
<div id="curve-${escapeHtml(c.competition)}"></div>
<table><tr><th>arm</th><th>compute-to-target (${short}) per seed</th><th>final score per seed</th><th>steps until the best</th><th>keep rate</th><th>steps</th><th>LLM tokens (prompt+completion)</th><th>tokens to target</th><th>skills used per run</th></tr>${rows}</table></section>`;
    })
    .join('\n');
  const skills = result.skills.map((s) => `<tr><td>${escapeHtml(s.tier)}</td><td>${escapeHtml(s.title)}</td><td>${escapeHtml(s.status)}</td><td>${s.uses}</td></tr>`).join('');
  const split = result.split
    ? `<h2>Declared split</h2><p>rotation <b>${escapeHtml(result.rotation ?? '')}</b>, computed and printed before anything ran:</p><table><tr><th>fold</th><th>held out</th><th>learned on, in order</th></tr>${result.split.map((f, i) => `<tr><td>${i + 1}</td><td>${escapeHtml(f.heldout)}</td><td>${f.train.map(escapeHtml).join(', ')}</td></tr>`).join('')}</table>`
    : '';
  const t = result.total;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HASTE transfer benchmark</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.arm.cold { color: #1f77b4; } .arm.warm { color: #ff7f0e; } .arm.cold2x { color: #7f7f7f; }
small { color: #666; font-weight: normal; } .legend span { margin-right: 16px; } .negative { color: #b00; } td.used { font-size: 12px; }
</style></head>
<body>
<h1>HASTE transfer benchmark</h1>
<p>${result.createdAt} · ${result.rotation ? `rotation ${escapeHtml(result.rotation)}` : `train on ${result.train.map(escapeHtml).join(', ')}`} · held out ${result.heldout.map(escapeHtml).join(', ')} · seeds ${result.seeds.join(', ')} · budget ${result.budgetSeconds} s per episode (cold2x: twice that) · compute measured in <b class="unit">${unit}</b></p>
<p><b>Cold / warm compute-to-target: ${fmt(t.ratio.mean)}× ± ${fmt(t.ratio.sem)}</b> (mean ± SEM over ${t.ratio.n} competition-seeds where both reached the target; reached it: cold ${t.reached.cold}, warm ${t.reached.warm}, cold 2× ${t.reached.cold2x} of ${t.comparisons}); warm final score ≥ cold in ${t.warmNotWorse} of ${t.comparisons}; warm reached the target with less compute than cold 2× in ${t.warmBeatsCold2x} of ${t.comparisons}.</p>
<p>Refinement steps until the best: cold ${ms(t.stepsToBest?.cold, 1)}, warm ${ms(t.stepsToBest?.warm, 1)}, cold 2× ${ms(t.stepsToBest?.cold2x, 1)} · keep rate: cold ${ms(t.keepRate?.cold)}, warm ${ms(t.keepRate?.warm)} · <span class="${t.negative ? 'negative' : ''}">negative transfer on ${t.negative} of ${result.competitions.length} competition(s)</span></p>
${tokensParagraph(result, prices)}
<p class="legend"><span class="arm cold">■ cold</span><span class="arm warm">■ warm (skills)</span><span class="arm cold2x">■ cold, 2× budget</span><span style="color:#2ca02c">– – target</span></p>
${split}
<h2>Compute-to-target</h2><div id="bars"></div>
${sections}
<h2>Skills</h2>
<table><tr><th>tier</th><th>skill</th><th>status</th><th>uses in warm runs</th></tr>${skills}</table>
<script type="application/json" id="result">${embedJson(result)}</script>
<script>${RENDERER}</script>
</body></html>
`;
}
