// Builds api_schema/careslot.postman_collection.json from api_schema/openapi.yaml, reproducibly.
// openapi-to-postmanv2 draws example values from Math.random and gives items random UUIDs; both
// would make the committed file drift on every run, so randomness and the clock are pinned and
// ids are derived from each item's place in the collection.
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

let seed = 20261124;
Math.random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// Example date-times are drawn relative to "now"; pin it too.
const FIXED_NOW = Date.UTC(2026, 0, 1);
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [FIXED_NOW]));
  }
  static now() {
    return FIXED_NOW;
  }
};

const Converter = require("openapi-to-postmanv2");
const root = path.resolve(__dirname, "..");
const schema = fs.readFileSync(path.join(root, "api_schema", "openapi.yaml"), "utf8");
const target = path.join(root, "api_schema", "careslot.postman_collection.json");

function stableId(where) {
  const hex = crypto.createHash("sha256").update(where).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function withStableIds(node, where) {
  if (Array.isArray(node)) return node.map((item, i) => withStableIds(item, `${where}[${i}]`));
  if (node && typeof node === "object") {
    const out = {};
    for (const key of Object.keys(node).sort()) {
      const value = node[key];
      out[key] = (key === "id" || key === "_postman_id") && typeof value === "string"
        ? stableId(`${where}.${key}`)
        : withStableIds(value, `${where}.${key}`);
    }
    return out;
  }
  return node;
}

Converter.convert(
  { type: "string", data: schema },
  { folderStrategy: "Tags", parametersResolution: "Schema" },
  (error, result) => {
    if (error || !result.result) {
      console.error("conversion failed:", error || result.reason);
      process.exit(1);
    }
    const collection = withStableIds(result.output[0].data, "$");
    fs.writeFileSync(target, JSON.stringify(collection, null, 2) + "\n");
  },
);
