// Extract one map from plotly.js's dist/plotly-geo-assets.js into a topojson file.
// Usage: node make_topojson.js path/to/plotly-geo-assets.js world_110m.json [world_110m]
// See README.md beside this file for the full recipe and checksums.
const fs = require("fs");
const vm = require("vm");
const [bundle, out, name = "world_110m"] = process.argv.slice(2);
const sandbox = {};
sandbox.window = sandbox;
sandbox.self = sandbox;
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(bundle, "utf8"), sandbox);
// the 4.x bundle assigns its export to window.Plotly; older ones to window.PlotlyGeoAssets
const assets = sandbox.PlotlyGeoAssets || sandbox.Plotly;
if (!assets || !assets.topojson || !assets.topojson[name]) {
  console.error(`no topojson "${name}" in ${bundle}`);
  process.exit(1);
}
fs.writeFileSync(out, JSON.stringify(assets.topojson[name]));
console.log(`wrote ${out} (${name}, plotly.js ${assets.version})`);
