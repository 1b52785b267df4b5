"""The exported page's style and script (plain JavaScript, no libraries beyond plotly.js).

The script reads the JSON block ``#lv-data`` (see html.py), draws every heatmap, and draws the
unit view of the picked layer/direction/unit: gates (0..1) and states as plotly lines, and the
tokens coloured by one quantity (text set through textContent, never as HTML).
"""

PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px;
  color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; }
.lv-note { background: #f3f5f8; padding: .5rem .8rem; border-radius: 6px; }
.lv-help { color: #555; font-size: .9rem; }
.lv-controls label { margin-right: 1.2rem; }
.lv-chart { height: 260px; }
.lv-coloured { line-height: 1.9; font-family: monospace; font-size: 1rem; word-break: break-all;
  margin: .5rem 0 1.5rem; }
.lv-coloured span { white-space: pre-wrap; padding: 1px 0; }
.lv-heatmap { height: 480px; margin-bottom: 1rem; }
"""

PAGE_JS = r"""
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("lv-data").textContent);
  const cache = {};
  function values(key) {  // little-endian float32 [time, unit]
    if (!cache[key]) {
      const raw = atob(data.values[key]);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      cache[key] = new Float32Array(bytes.buffer);
    }
    return cache[key];
  }
  const $ = (id) => document.getElementById(id);
  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = String(value); o.textContent = text; select.appendChild(o);
  }
  data.layers.forEach((id, k) => option($("lv-layer"), k, "layer " + id));
  data.directions.forEach((name, k) => option($("lv-direction"), k, name));
  if (data.directions.length < 2) $("lv-direction-label").style.display = "none";
  const widest = Math.max(...Object.values(data.units));
  for (let u = 0; u < widest; u++) option($("lv-unit"), u, String(u));
  data.quantities.forEach((q) => option($("lv-colour-by"), q, data.labels[q]));
  $("lv-colour-by").value = data.quantities.includes("hidden") ? "hidden" : data.quantities[0];
  const steps = [...Array(data.steps).keys()];

  function series(q, layer, direction, unit) {
    const width = data.units[q];
    if (unit >= width) return null;
    const v = values(q + "|" + layer + "|" + direction);
    return steps.map((t) => v[t * width + unit]);
  }
  function colourOf(q, x, bound) {
    if (!Number.isFinite(x)) return "#cccccc";
    const gate = data.gates.includes(q);
    const pos = gate ? x : 0.5 + 0.5 * x / bound;
    const palette = gate ? data.palettes.sequential : data.palettes.diverging;
    const k = Math.round(Math.min(1, Math.max(0, pos)) * (palette.length - 1));
    return palette[k];
  }
  function ink(colour) {
    const m = colour.match(/[\d.]+/g).map(Number);
    return 0.299 * m[0] + 0.587 * m[1] + 0.114 * m[2] > 140 ? "#111111" : "#ffffff";
  }
  const hoverText = steps.map((t) => "step " + t + " \u00b7 " + JSON.stringify(data.tokens[t]));

  function drawUnit() {
    const layer = +$("lv-layer").value, direction = +$("lv-direction").value;
    const unit = +$("lv-unit").value;
    const where = "unit " + unit + ", layer " + data.layers[layer] +
      (data.directions.length > 1 ? ", " + data.directions[direction] : "");
    $("lv-unit-title").textContent = "Unit view: " + where;
    for (const panel of ["gates", "states"]) {
      const lines = [];
      for (const q of data.quantities) {
        if ((panel === "gates") !== data.gates.includes(q)) continue;
        const y = series(q, layer, direction, unit);
        if (y === null) continue;
        lines.push({ type: "scatter", mode: data.steps <= 60 ? "lines+markers" : "lines",
          name: data.symbols[q] + ": " + data.labels[q].split(" (")[0], x: steps, y: y,
          text: hoverText, hovertemplate: "%{text}<br>%{y:.3f}<extra>" + data.symbols[q] +
          "</extra>" });
      }
      const target = $("lv-unit-" + panel);
      if (!lines.length) { target.style.display = "none"; continue; }
      Plotly.react(target, lines, {
        title: { text: (panel === "gates" ? "Gates" : "States") + " of " + where, x: 0 },
        margin: { l: 50, r: 10, t: 40, b: 40 }, xaxis: { title: { text: "step" } },
        yaxis: panel === "gates" ? { range: [0, 1], title: { text: "0 to 1" } } : {},
        meta: { unit: unit, layer: layer, direction: direction, panel: panel },
      }, { displaylogo: false, responsive: true });
    }
    const q = $("lv-colour-by").value;
    const text = $("lv-unit-text");
    text.replaceChildren();
    const y = series(q, layer, direction, unit);
    if (y === null) { text.textContent = data.labels[q] + " has no unit " + unit; return; }
    const bound = data.bounds[q + "|" + layer + "|" + direction];
    $("lv-unit-legend").textContent = "Text colours: " +
      data.legends[q + "|" + layer + "|" + direction];
    data.tokens.forEach((token, t) => {
      const span = document.createElement("span");
      const fill = colourOf(q, y[t], bound);
      span.style.background = fill; span.style.color = ink(fill);
      span.title = "step " + t + " \u00b7 " + JSON.stringify(token) + " \u00b7 " + y[t].toFixed(3);
      span.textContent = token === "\n" ? "\u23ce\n" : token === "" ? "\u2205" : token;
      text.appendChild(span);
      if (token.length > 1) text.appendChild(document.createTextNode(" "));
    });
  }

  const section = $("lv-heatmaps");
  for (const figure of data.figures) {
    const head = data.figures.find(
      (f) => f.layer === figure.layer && f.direction === figure.direction);
    if (head === figure) {
      const h = document.createElement("h2");
      h.textContent = "Layer " + data.layers[figure.layer] +
        (data.directions.length > 1 ? ", " + data.directions[figure.direction] : "");
      section.appendChild(h);
      const note = data.notes[figure.layer + "|" + figure.direction];
      if (note) {
        const p = document.createElement("p");
        p.className = "lv-help lv-scale-note"; p.textContent = note;
        section.appendChild(p);
      }
    }
    const div = document.createElement("div");
    div.className = "lv-heatmap"; div.dataset.key = figure.key;
    div.style.height = Math.max(300, figure.layout.height || 480) + "px";
    section.appendChild(div);
    figure.layout.template = { layout: { font: { family: "system-ui, sans-serif" } } };
    Plotly.newPlot(div, figure.data, figure.layout, { displaylogo: false, responsive: true });
    div.on("plotly_click", (event) => {
      const unit = parseInt(event.points[0].y, 10);
      if (Number.isNaN(unit)) return;
      $("lv-layer").value = String(figure.layer);
      $("lv-direction").value = String(figure.direction);
      $("lv-unit").value = String(unit);
      drawUnit();
      $("lv-unit-view").scrollIntoView({ behavior: "smooth" });
    });
  }
  for (const id of ["lv-layer", "lv-direction", "lv-unit", "lv-colour-by"]) {
    $(id).addEventListener("change", drawUnit);
  }
  drawUnit();
  document.body.dataset.ready = "true";
})();
"""
