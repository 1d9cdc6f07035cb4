// Switchyard's built-in page: draws the live service graph and the SLO list from the topology API,
// refreshing itself. Plain SVG and JavaScript, no external assets: it works offline.
(function () {
  'use strict';
  const NODE_W = 170, NODE_H = 50, COL_GAP = 110, ROW_GAP = 28, PAD = 20;
  const svgNs = 'http://www.w3.org/2000/svg';
  const windowSelect = document.getElementById('window');

  function el(name, attrs, text) {
    const e = document.createElementNS(svgNs, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmt(n, digits) {
    if (n === null || n === undefined || Number.isNaN(n)) return '–';
    return Number(n).toFixed(digits);
  }

  function health(errorPercent) {
    if (errorPercent === null || errorPercent === undefined) return 'ok';
    return errorPercent >= 5 ? 'bad' : errorPercent >= 1 ? 'warn' : 'ok';
  }

  // Columns by longest distance from a node nothing calls (the user, the ingress): callers left of callees.
  function layout(nodes, edges) {
    const incoming = new Map(nodes.map(n => [n.id, []]));
    for (const e of edges) if (incoming.has(e.target) && e.source !== e.target) incoming.get(e.target).push(e.source);
    const depth = new Map();
    function depthOf(id, seen) {
      if (depth.has(id)) return depth.get(id);
      if (seen.has(id)) return 0;
      seen.add(id);
      let d = 0;
      for (const s of incoming.get(id) || []) d = Math.max(d, depthOf(s, seen) + 1);
      seen.delete(id);
      depth.set(id, d);
      return d;
    }
    nodes.forEach(n => depthOf(n.id, new Set()));
    const columns = [];
    for (const n of nodes) (columns[depth.get(n.id)] = columns[depth.get(n.id)] || []).push(n);
    const pos = new Map();
    columns.forEach((col, c) => {
      col.sort((a, b) => a.name.localeCompare(b.name));
      col.forEach((n, r) => pos.set(n.id, { x: PAD + c * (NODE_W + COL_GAP), y: PAD + r * (NODE_H + ROW_GAP) }));
    });
    const rows = Math.max(1, ...columns.map(c => (c ? c.length : 0)));
    return { pos, width: PAD * 2 + columns.length * (NODE_W + COL_GAP) - COL_GAP, height: PAD * 2 + rows * (NODE_H + ROW_GAP) - ROW_GAP };
  }

  function drawGraph(graph) {
    const svg = document.getElementById('graph');
    svg.replaceChildren();
    const nodes = graph.nodes || [], edges = graph.edges || [];
    document.getElementById('graph-empty').hidden = nodes.length > 0;
    if (!nodes.length) { svg.setAttribute('width', 0); svg.setAttribute('height', 0); return; }
    const { pos, width, height } = layout(nodes, edges);
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const defs = el('defs');
    const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9ca3af' }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    for (const e of edges) {
      const a = pos.get(e.source), b = pos.get(e.target);
      if (!a || !b) continue;
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
      const back = x2 <= x1;
      const d = back
        ? `M ${a.x + NODE_W / 2} ${a.y + NODE_H} C ${a.x + NODE_W / 2} ${a.y + NODE_H + 40}, ${b.x + NODE_W / 2} ${b.y + NODE_H + 40}, ${b.x + NODE_W / 2} ${b.y + NODE_H}`
        : `M ${x1} ${y1} C ${x1 + COL_GAP / 2} ${y1}, ${x2 - COL_GAP / 2} ${y2}, ${x2} ${y2}`;
      const g = el('g', { class: 'edge ' + health(e.errorPercent), 'data-edge-id': e.id || (e.source + '->' + e.target) });
      g.appendChild(el('path', { d, 'marker-end': 'url(#arrow)' }));
      const p99 = e.latencyMs ? e.latencyMs.p99 : null;
      g.appendChild(el('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' },
        `${fmt(e.requestRate, 1)} rps · p99 ${fmt(p99, 0)} ms`));
      svg.appendChild(g);
    }
    for (const n of nodes) {
      const p = pos.get(n.id);
      const virtual = n.kind && n.kind !== 'service';
      const g = el('g', { class: 'node ' + (virtual ? 'virtual' : health(n.errorPercentIn)), 'data-node-id': n.id, 'data-node-name': n.name,
        transform: `translate(${p.x},${p.y})` });
      g.appendChild(el('rect', { width: NODE_W, height: NODE_H }));
      g.appendChild(el('text', { class: 'name', x: 10, y: 20 }, (virtual ? '◌ ' : '') + n.name));
      g.appendChild(el('text', { class: 'stats', x: 10, y: 38 },
        virtual && !n.requestRateIn ? n.kind : `${fmt(n.requestRateIn, 1)} rps · ${fmt(n.errorPercentIn, 1)} % err`));
      const title = el('title', {}, `${n.name} (${n.kind || 'service'})${n.namespace ? ' in ' + n.namespace : ''}`);
      g.appendChild(title);
      svg.appendChild(g);
    }
  }

  // Built with textContent, never innerHTML: SLO, service and alert names and severities are free text from SLO files.
  function html(name, attrs, ...children) {
    const e = document.createElement(name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  function drawSlos(slos) {
    const body = document.querySelector('#slos tbody');
    body.replaceChildren();
    document.getElementById('slos-empty').hidden = slos.length > 0;
    for (const s of slos) {
      const tr = document.createElement('tr');
      tr.dataset.slo = s.name;
      const budget = s.errorBudgetRemaining;
      const cls = budget <= 0 ? 'gone' : budget < 0.25 ? 'low' : '';
      const alerts = (s.alerts || []).map(a => html('span', {
        class: `alert ${a.firing ? 'firing' : 'quiet'}`,
        title: `${a.severity}: ${a.longWindow}/${a.shortWindow} at ${a.threshold}x` }, `${a.name}${a.firing ? ' firing' : ''}`));
      const bar = html('span', { class: `budget ${cls}` },
        html('span', { style: `width:${Math.max(0, Math.min(1, budget)) * 100}%` }));
      tr.append(html('td', {}, s.name), html('td', {}, s.service), html('td', {}, `${fmt(s.objective * 100, 2)} %`),
        html('td', {}, `${fmt(s.sli * 100, 3)} %`), html('td', {}, bar, `${fmt(budget * 100, 1)} %`),
        html('td', {}, ...(alerts.length ? alerts : [html('span', { class: 'muted' }, 'none')])));
      body.appendChild(tr);
    }
  }

  async function getJson(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await r.json();
    if (!r.ok) throw new Error(`${url}: ${r.status} ${body.error || ''}`);
    return body;
  }

  async function refresh() {
    const from = windowSelect.value; // the API query the page draws; the end-to-end test asks the same
    try {
      const [graph, slos] = await Promise.all([
        getJson(`/api/v1/graph?from=${encodeURIComponent(from)}&to=now`),
        getJson('/api/v1/slos')]);
      drawGraph(graph);
      drawSlos(slos.slos || []);
      const f = graph.freshness || {};
      document.getElementById('freshness').textContent = f.newestCompleteWindow
        ? `newest complete window ${new Date(f.newestCompleteWindow).toLocaleTimeString()} · pipeline lag ${fmt(f.pipelineLagSeconds, 0)} s`
        : 'no complete window yet';
      document.getElementById('error').hidden = true;
      document.body.dataset.loaded = 'true';
    } catch (err) {
      const e = document.getElementById('error');
      e.textContent = 'Cannot load data: ' + err.message;
      e.hidden = false;
    }
  }

  windowSelect.addEventListener('change', refresh);
  refresh();
  setInterval(refresh, 5000);
})();
