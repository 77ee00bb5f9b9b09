// Decode a TopoJSON file with topojson-client, as a d3 page does: every object of the topology
// to a GeoJSON FeatureCollection (topojson.feature), printed as {object name: collection}.
// Usage: node decode.js FILE.topojson
const fs = require("fs");
const topojson = require("topojson-client");

const topology = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = {};
for (const name of Object.keys(topology.objects)) {
  out[name] = topojson.feature(topology, topology.objects[name]);
}
process.stdout.write(JSON.stringify(out));
