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
    (panel.figure.data || []).forEach(t => {   // smaller node labels on the chain graph
      if (t.textfont && t.mode && t.mode.includes("text")) t.textfont = Object.assign({}, t.textfont, {size: 8});
    });
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
  if (typeof v === "number") return /(^|_)share($|_)/.test(col) ? FMT.share.format(v) : FMT.num.format(v);
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
  (view.panels || []).forEach(p => {      // network results: drawn on the chain's stage graph
    const fig = el("div", {class: "panel", id: "panel-" + p.name});
    results.appendChild(fig);
    renderPanel(fig, p);
  });
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

/* --- routes ------------------------------------------------------------------------------ */

function showList(box, title, items, cls) {
  if (!items || !items.length) return;
  box.appendChild(el("h3", {}, title));
  const ul = el("ul", {class: cls || "notes"});
  items.forEach(t => ul.appendChild(el("li", {}, t)));
  box.appendChild(ul);
}

function sourcesBox(sources) {
  const src = el("details", {class: "sources"});
  src.appendChild(el("summary", {}, `Sources (${(sources || []).length})`));
  const ul = el("ul");
  (sources || []).forEach(s => ul.appendChild(el("li", {}, s)));
  src.appendChild(ul);
  return src;
}

async function routesPage() {
  const opt = await options();
  const $v = id => $(id).value.trim();
  const unit = $("#unit"), mineral = $("#mineral"), stage = $("#stage"), status = $("#routes-status");
  const blocs = $("#blocs");
  opt.blocs.forEach(b => blocs.appendChild(el("option", {value: b})));
  fillSelect(mineral, unique(opt.flows, "mineral"), ["graphite", "gallium", "cobalt"]);
  function refresh() {
    const stages = opt.flows.filter(r => r.mineral === mineral.value).map(r => r.stage);
    fillSelect(stage, stages, ["mine", "refinery"]);
  }
  let seq = 0;
  async function draw() {
    const q = new URLSearchParams({unit: $v("#unit") || "USA", mineral: mineral.value,
                                   cap: $v("#cap") || "0.65", flexibility: $v("#flexibility") || "0.25",
                                   premium: $v("#premium") || "1.5",
                                   look_through: $("#look-through").checked ? "true" : "false"});
    if (stage.value) q.set("stage", stage.value);
    [["exclude", "#exclude"], ["prefer", "#prefer"], ["max_risk", "#max-risk"], ["hhi_cap", "#hhi-cap"],
     ["year", "#year"]].forEach(([k, id]) => { if ($v(id)) q.set(k, $v(id)); });
    const mine = ++seq;
    const front = $("#panel-routes_frontier"), plan = $("#panel-routes_plan");
    const tables = $("#routes-tables"), head = $("#routes-headline");
    loading(front, "Solving the plan and its frontier…");
    plan.innerHTML = "";
    $("#panel-routes_exclusions").innerHTML = "";
    status.textContent = "Solving…";
    $("#draw").disabled = true;
    try {
      showError("");
      const view = await api("/ui/figures/routes?" + q);
      if (mine !== seq) return;                       // a newer request is on its way
      head.innerHTML = "";
      head.appendChild(el("h2", {}, view.label));
      showList(head, "In short", view.headline, "headline-lines");
      showList(head, "Warnings", view.warnings, "notes warnings");
      head.hidden = false;
      renderPanel(front, view.panels[0]);
      renderPanel(plan, view.panels[1]);
      renderPanel($("#panel-routes_exclusions"), view.panels[2]);
      tables.innerHTML = "";
      tables.appendChild(el("h2", {}, "The plan, supplier by supplier"));
      tables.appendChild(table("Suppliers: share of demand now and in the plan; cost; governance risk (0-10)",
        view.suppliers.map(r => Object.assign({}, r, {
          supplier: r.supplier + (r.estimated_cost ? " (e)" : "") + (r.internal ? " (member)" : ""),
          cost_method: r.cost_method, at_cap: r.at_cap ? "yes" : "", at_capacity: r.at_capacity ? "yes" : "",
          excluded: r.excluded ? "yes" : ""})),
        ["supplier", "share_baseline", "share", "quantity_t_baseline", "quantity_t", "unit_cost_usd_per_t",
         "cost_method", "risk_index", "at_cap", "at_capacity", "excluded"]));
      if (view.binding.length)
        tables.appendChild(table("Binding limits and what they cost", view.binding,
          ["constraint", "shadow_price_usd_per_t", "per_point_usd", "plain"]));
      tables.appendChild(el("p", {class: "hint"}, "(e): no observed unit value for this supplier; its cost is the market price (estimated). Shares are of the buyer's demand; risk is 2 x (2.5 - WGI), blank where the WGI has no estimate."));
      tables.appendChild(sourcesBox(view.sources));
      tables.hidden = false;
      status.textContent = "Done: " + view.label;
    } catch (err) {
      if (mine !== seq) return;
      front.innerHTML = "";
      status.textContent = "";
      showError(err.message);
    } finally {
      if (mine === seq) $("#draw").disabled = false;
    }
  }
  mineral.addEventListener("change", () => { refresh(); draw(); });
  stage.addEventListener("change", draw);
  unit.addEventListener("change", draw);
  $("#draw").addEventListener("click", draw);
  refresh();
  await draw();
}

/* --- chains ------------------------------------------------------------------------------ */

async function chainsPage() {
  const cat = await api("/ui/chains");
  const opt = await options();
  const chain = $("#chain"), shock = $("#shock"), node = $("#node"), status = $("#chains-status");
  opt.blocs.forEach(b => $("#blocs").appendChild(el("option", {value: b})));
  chain.innerHTML = "";
  cat.chains.forEach(c => chain.appendChild(el("option", {value: c.name}, c.title)));
  if (cat.chains.some(c => c.name === "batteries")) chain.value = "batteries";
  function refresh() {
    const c = cat.chains.find(x => x.name === chain.value);
    const old = shock.value;
    shock.innerHTML = "";
    shock.appendChild(el("option", {value: "none"}, "none: the chain as it is"));
    cat.scenarios.filter(s => s.chain === chain.value).forEach(s =>
      shock.appendChild(el("option", {value: "scenario:" + s.scenario, title: s.description},
                           "shipped: " + s.scenario)));
    shock.appendChild(el("option", {value: "form"}, "a restriction I describe"));
    if ([...shock.options].some(o => o.value === old)) shock.value = old;
    node.innerHTML = "";
    c.nodes.filter(n => n.mineral).forEach(n =>
      node.appendChild(el("option", {value: n.id}, `${n.label} (${n.stage})`)));
    syncForm();
  }
  function syncForm() {
    document.querySelectorAll(".for-form").forEach(e => e.hidden = shock.value !== "form");
  }
  let seq = 0;
  async function draw() {
    const mine = ++seq;
    const graph = $("#panel-chain_graph"), losses = $("#panel-chain_losses"), tables = $("#chains-tables");
    loading(graph, shock.value === "none" ? "Reading the chain…" : "Propagating the shock…");
    status.textContent = shock.value === "none" ? "" : "Solving…";
    $("#draw").disabled = true;
    try {
      showError("");
      let view;
      if (shock.value.startsWith("scenario:")) {
        const s = cat.scenarios.find(x => "scenario:" + x.scenario === shock.value);
        const doc = await api(s.url);
        view = await api("/ui/figures/chain", {method: "POST",
          headers: {"content-type": "application/yaml"}, body: doc});
      } else {
        const q = new URLSearchParams({chain: chain.value});
        if (shock.value === "form") {
          q.set("exporter", $("#exporter").value.trim() || "CHN");
          q.set("node", node.value);
          q.set("share", $("#share").value || "0.5");
          if ($("#to").value.trim()) q.set("to", $("#to").value.trim());
        }
        view = await api("/ui/figures/chain?" + q);
      }
      if (mine !== seq) return;
      renderPanel(graph, view.panels[0]);
      tables.innerHTML = "";
      if (view.panels.length > 1) {
        losses.hidden = false;
        renderPanel(losses, view.panels[1]);
        tables.appendChild(el("h2", {}, "Losses: " + view.scenario));
        if (view.summary) tables.appendChild(el("pre", {class: "summary"}, view.summary));
        tables.appendChild(table("By stage (value)", view.by_stage,
                                 ["stage", "output_usd_baseline", "lost_usd", "lost_share"]));
        tables.appendChild(table("Final products", view.by_product,
                                 ["product", "unit", "output_quantity_baseline", "lost_quantity", "lost_share", "lost_usd"]));
        if (view.by_country.length)
          tables.appendChild(table("Countries losing most final output", view.by_country,
                                   ["country", "lost_usd", "output_usd_baseline", "lost_share"]));
        if (view.bottlenecks.length)
          tables.appendChild(table("Binding restrictions and capacities", view.bottlenecks,
                                   ["node", "stage", "country", "lost_usd", "spare_used_quantity", "constraint"]));
        status.textContent = "Done: " + view.scenario;
      } else {
        losses.hidden = true;
        losses.innerHTML = "";
        tables.appendChild(el("h2", {}, `${view.title} (${view.year}): stage by stage`));
        tables.appendChild(table("Each stage's top country, concentration and cover if it fails (N-1)",
          view.stages.map(r => Object.assign({}, r, {single_point_of_failure: r.single_point_of_failure ? "yes" : "",
                                                      method: r.method === "assumption" ? "assumed (e)" : r.method})),
          ["label", "stage", "top_country", "cr1_share", "hhi", "n1_cover_share", "single_point_of_failure", "method", "source"]));
        status.textContent = "";
      }
      tables.appendChild(sourcesBox(view.sources));
      tables.hidden = false;
    } catch (err) {
      if (mine !== seq) return;
      graph.innerHTML = "";
      status.textContent = "";
      showError(err.message);
    } finally {
      if (mine === seq) $("#draw").disabled = false;
    }
  }
  chain.addEventListener("change", () => { refresh(); draw(); });
  shock.addEventListener("change", () => { syncForm(); if (shock.value !== "form") draw(); });
  $("#draw").addEventListener("click", draw);
  refresh();
  await draw();
}

const PAGES = {map: mapPage, flows: flowsPage, concentration: concentrationPage,
               scenario: scenarioPage, routes: routesPage, chains: chainsPage};
document.addEventListener("DOMContentLoaded", () => {
  const page = PAGES[document.body.dataset.page];
  if (page) page().catch(err => showError(err.message));
});
