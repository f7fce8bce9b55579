/* critmin dashboard: fetch panels from /ui/figures/*, draw them with the local plotly.js.
   No arithmetic here: numbers come from the library; this file only lays them out. */
"use strict";

const PLOT_CONFIG = {responsive: true, displaylogo: false, topojsonURL: "/ui/topojson/",
                     modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"]};

function $(sel, root) { return (root || document).querySelector(sel); }
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function showError(message) {
  const box = $("#error");
  if (!box) return;
  box.textContent = message || "";
  box.hidden = !message;
}

async function api(url, options) {
  const res = await fetch(url, options);
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const detail = (body && body.detail) ? body.detail : (typeof body === "string" ? body : res.statusText);
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return body;
}

/* One panel: heading, figure, notes (estimates), sources. */
function renderPanel(container, panel) {
  container.innerHTML = "";
  container.classList.add("panel");
  container.appendChild(el("h2", {}, panel.title));
  const fig = el("div", {class: "figure", "data-name": panel.name});
  container.appendChild(fig);
  const layout = Object.assign({}, panel.figure.layout || {});
  delete layout.title;
  layout.margin = Object.assign({}, layout.margin || {});
  layout.margin.t = Math.max(30, (layout.margin.t || 60) - 40);
  if (window.innerWidth < 700) {            // phone: less white space around maps
    layout.margin.l = 4;
    if (layout.geo && layout.height) layout.height = 400;
  }
  // data-drawn once plotly has drawn everything, maps included (their topojson is fetched)
  Plotly.newPlot(fig, {data: panel.figure.data || [], layout: layout,
                       frames: panel.figure.frames || [], config: PLOT_CONFIG})
    .then(() => fig.setAttribute("data-drawn", "1"))
    .catch(err => showError("Drawing failed: " + err));
  if (panel.notes && panel.notes.length) {
    const ul = el("ul", {class: "notes"});
    panel.notes.forEach(n => ul.appendChild(el("li", {}, n)));
    container.appendChild(ul);
  }
  const src = el("details", {class: "sources"});
  src.appendChild(el("summary", {}, `Sources (${(panel.sources || []).length})`));
  const ul = el("ul");
  (panel.sources || []).forEach(s => ul.appendChild(el("li", {}, s)));
  src.appendChild(ul);
  container.appendChild(src);
  return fig;
}

function loading(container, text) {
  container.innerHTML = "";
  container.appendChild(el("p", {class: "loading"}, text || "Computing…"));
}

async function drawInto(container, url) {
  loading(container);
  try {
    showError("");
    const panel = await api(url);
    renderPanel(container, panel);
  } catch (err) {
    container.innerHTML = "";
    showError(err.message);
  }
}

function fillSelect(select, values, preferred) {
  const old = select.value;
  select.innerHTML = "";
  values.forEach(v => select.appendChild(el("option", {value: v}, v.replace(/_/g, " "))));
  const want = [old, ...(preferred || [])].find(v => values.includes(v));
  if (want) select.value = want;
}

let OPTIONS = null;
async function options() {
  if (!OPTIONS) OPTIONS = await api("/ui/options");
  return OPTIONS;
}
function unique(rows, key) { return [...new Set(rows.map(r => r[key]))]; }

/* --- pages ------------------------------------------------------------------------------ */

async function mapPage() {
  const opt = await options();
  const kind = $("#kind"), mineral = $("#mineral"), stage = $("#stage"), unit = $("#unit");
  const panel = $("#panel-map");
  const blocs = $("#blocs");
  opt.blocs.forEach(b => blocs.appendChild(el("option", {value: b})));
  function refresh() {
    const isProd = kind.value === "production";
    document.querySelectorAll(".for-production").forEach(e => e.hidden = !isProd);
    document.querySelectorAll(".for-imports").forEach(e => e.hidden = isProd);
    const rows = isProd ? opt.production : opt.flows;
    fillSelect(mineral, unique(rows, "mineral"), ["gallium", "cobalt"]);
    const stages = rows.filter(r => r.mineral === mineral.value).map(r => r.stage);
    fillSelect(stage, stages, ["refinery", "mine"]);
  }
  function draw() {
    const q = new URLSearchParams({mineral: mineral.value});
    if (kind.value === "production") {
      q.set("stage", stage.value);
      drawInto(panel, "/ui/figures/production?" + q);
    } else {
      q.set("unit", unit.value.trim() || "USA");
      drawInto(panel, "/ui/figures/imports?" + q);
    }
  }
  kind.addEventListener("change", () => { refresh(); draw(); });
  mineral.addEventListener("change", () => { refresh(); draw(); });
  stage.addEventListener("change", draw);
  unit.addEventListener("change", draw);
  $("#draw").addEventListener("click", draw);
  refresh();
  draw();
}

async function flowsPage() {
  const opt = await options();
  const mineral = $("#mineral"), year = $("#year"), panel = $("#panel-flows");
  fillSelect(mineral, opt.chains, ["cobalt", "nickel"]);
  function draw() {
    const q = new URLSearchParams({mineral: mineral.value});
    if (year.value) q.set("year", year.value);
    drawInto(panel, "/ui/figures/flows?" + q);
  }
  mineral.addEventListener("change", () => { year.value = ""; draw(); });
  year.addEventListener("change", draw);
  $("#draw").addEventListener("click", draw);
  draw();
}

async function concentrationPage() {
  const opt = await options();
  const mineral = $("#mineral"), panel = $("#panel-concentration");
  fillSelect(mineral, unique(opt.production, "mineral"), ["graphite", "gallium"]);
  const draw = () => drawInto(panel, "/ui/figures/concentration?" +
                              new URLSearchParams({mineral: mineral.value}));
  mineral.addEventListener("change", draw);
  $("#draw").addEventListener("click", draw);
  draw();
}

/* --- scenario ------------------------------------------------------------------------------ */

const FMT = {
  share: new Intl.NumberFormat("en", {style: "percent", maximumSignificantDigits: 3}),
  num: new Intl.NumberFormat("en", {maximumSignificantDigits: 4}),
};
function cell(col, v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return col.endsWith("_share") ? FMT.share.format(v) : FMT.num.format(v);
  return String(v);
}
function table(title, rows, columns) {
  const wrap = el("div", {class: "table-wrap"});
  wrap.appendChild(el("h3", {}, title));
  const t = el("table", {class: "data"});
  const head = el("tr");
  columns.forEach(c => head.appendChild(el("th", {}, c.replace(/_/g, " "))));
  t.appendChild(el("thead")).appendChild(head);
  const body = el("tbody");
  rows.forEach(r => {
    const tr = el("tr");
    columns.forEach(c => tr.appendChild(el("td", typeof r[c] === "number" ? {} : {class: "t"},
                                           cell(c, r[c]))));
    body.appendChild(tr);
  });
  t.appendChild(body);
  wrap.appendChild(t);
  return wrap;
}

function yamlList(text) {
  const items = text.split(",").map(s => s.trim()).filter(Boolean);
  return items.length === 1 ? items[0] : "[" + items.join(", ") + "]";
}

function shockYaml() {
  const type = $("#shock-type").value;
  const v = id => $(id).value.trim();
  if (type === "tariff")
    return `{type: tariff, label: "tariff added in the dashboard", importers: ${yamlList(v("#s-importers"))}, exporters: ${yamlList(v("#s-exporters"))}, rate: ${Number(v("#s-rate"))}}`;
  if (type === "ban" || type === "quota")
    return `{type: export_quota, label: "${type === "ban" ? "export ban" : "export quota"} added in the dashboard", minerals: [${v("#s-minerals")}], exporter: ${v("#s-exporters")}, destinations: [${v("#s-destinations")}], tonnes: ${type === "ban" ? 0 : Number(v("#s-tonnes"))}}`;
  return `{type: preferential_zone, label: "zone added in the dashboard", members: ${yamlList(v("#s-members"))}, internal_tariff: 0.0, enforcement: adjustable_tariff, reference_prices: [{mineral: ${v("#s-floor-mineral")}, stage: ${v("#s-floor-stage")}, price: ${Number(v("#s-floor-price"))}, unit: USD/t}]}`;
}

/* Insert "  - {shock}" at the end of the top-level shocks list (created when absent). */
function addShock(doc, shock) {
  const lines = doc.replace(/\s+$/, "").split("\n");
  let start = lines.findIndex(l => /^shocks:\s*(#.*)?$/.test(l));
  if (start < 0) { lines.push("shocks:"); start = lines.length - 1; }
  let end = start + 1;
  while (end < lines.length && !/^[A-Za-z_]/.test(lines[end])) end++;
  lines.splice(end, 0, "  - " + shock);
  return lines.join("\n") + "\n";
}

function syncBuilder() {
  const type = $("#shock-type").value;
  document.querySelectorAll("#builder label[class^='f-'], #builder label[class*=' f-']").forEach(l => {
    l.hidden = !l.classList.contains("f-" + type);
  });
}

async function scenarioPage() {
  const lib = $("#library"), doc = $("#doc"), status = $("#status"), results = $("#results");
  const download = $("#download");
  try {
    const list = await api("/api/scenarios");
    const pe = list.rows.filter(r => r.model === "pe");
    list.rows.filter(r => r.model !== "invalid").forEach(r => lib.appendChild(
      el("option", {value: r.url}, r.model === "pe" ? r.scenario : `${r.scenario} (${r.model})`)));
    const preferred = pe.find(r => r.scenario === "us-india-2026") || pe[0];
    if (preferred) lib.value = preferred.url;
  } catch (err) { showError("Scenario library: " + err.message); }
  async function load() {
    if (!lib.value) return;
    try { showError(""); doc.value = await api(lib.value); } catch (err) { showError(err.message); }
  }
  $("#load").addEventListener("click", load);
  lib.addEventListener("change", load);
  $("#shock-type").addEventListener("change", syncBuilder);
  syncBuilder();
  $("#add-shock").addEventListener("click", () => { doc.value = addShock(doc.value, shockYaml()); });
  $("#run").addEventListener("click", async () => {
    showError("");
    status.textContent = "Solving…";
    $("#run").disabled = true;
    download.hidden = true;
    try {
      const result = await api("/api/scenarios/run", {method: "POST",
        headers: {"content-type": "application/yaml"}, body: doc.value});
      status.textContent = "Drawing…";
      // the same document again: the API answers from its cache, the server draws it
      const view = await api("/ui/figures/scenario", {method: "POST",
        headers: {"content-type": "application/yaml"}, body: doc.value});
      results.innerHTML = "";
      if (view.generic) {                 // a model the dashboard has no charts for
        showGeneric(results, view);
        const blob = new Blob([JSON.stringify(result, null, 2)], {type: "application/json"});
        download.href = URL.createObjectURL(blob);
        download.download = (view.scenario || "scenario") + "-result.json";
        download.hidden = false;
        status.textContent = "Done: " + view.scenario;
        return;
      }
      view.panels.forEach(p => {
        const box = el("div", {class: "panel", id: "panel-" + p.name});
        results.appendChild(box);
        renderPanel(box, p);
      });
      const tables = el("div", {class: "panel", id: "scenario-tables"});
      tables.appendChild(el("h2", {}, "Tables (money in " + view.welfare_unit + ")"));
      tables.appendChild(table("World prices: largest changes", view.tables.prices,
        ["mineral", "stage", "exporter", "world_price_change_share", "producer_price_change_share"]));
      if (view.tables.shortfalls.length)
        tables.appendChild(table("Shortfalls", view.tables.shortfalls,
          ["mineral", "stage", "country", "shortfall_t", "shortfall_share"]));
      tables.appendChild(table("Welfare: largest changes", view.tables.welfare,
        ["country", "producer_surplus", "consumer_surplus", "tariff_revenue", "net_welfare"]));
      results.appendChild(tables);
      const blob = new Blob([JSON.stringify(result, null, 2)], {type: "application/json"});
      download.href = URL.createObjectURL(blob);
      download.download = (view.scenario || "scenario") + "-result.json";
      download.hidden = false;
      status.textContent = "Done: " + view.scenario;
    } catch (err) {
      status.textContent = "";
      showError(err.message);
    } finally {
      $("#run").disabled = false;
    }
  });
  await load();
}

function showGeneric(results, view) {
  const box = el("div", {class: "panel", id: "scenario-tables"});
  box.appendChild(el("h2", {}, `${view.scenario} (model: ${view.model})`));
  if (view.summary) box.appendChild(el("pre", {class: "summary"}, view.summary));
  Object.entries(view.generic).forEach(([name, rows]) => {
    if (!rows.length) return;
    const shown = rows.slice(0, 50);
    box.appendChild(table(`${name} (${shown.length} of ${rows.length} rows; all in the download)`,
                          shown, Object.keys(rows[0])));
  });
  const src = el("details", {class: "sources"});
  src.appendChild(el("summary", {}, `Sources (${view.sources.length})`));
  const ul = el("ul");
  view.sources.forEach(s => ul.appendChild(el("li", {}, s)));
  src.appendChild(ul);
  box.appendChild(src);
  results.appendChild(box);
}

const PAGES = {map: mapPage, flows: flowsPage, concentration: concentrationPage,
               scenario: scenarioPage};
document.addEventListener("DOMContentLoaded", () => {
  const page = PAGES[document.body.dataset.page];
  if (page) page().catch(err => showError(err.message));
});
