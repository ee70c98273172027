// Builds api_schema/careslot.postman_collection.json from api_schema/openapi.yaml, reproducibly,
// ready to run: a collection-level pre-request script logs in the environment's `role` (see
// clients/postman/careslot.postman_environment.json), every request tests that the answer has a
// status its operation documents, and optional query parameters start disabled (a placeholder
// such as `<uuid>` is no value a server accepts). `make contract-newman` runs it.
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

// Logs in once per run as the environment's role (anonymous: no token) and keeps the access
// token in the collection variable that every request's bearer auth reads. The role
// `integration_client` is a machine, not a person (docs/integrations.md): the clinic admin
// creates a client with every scope for the environment's clinic, and the client's
// credentials buy the token (OAuth 2.0 client credentials).
const LOG_IN = `
const role = pm.environment.get("role") || "anonymous";
const baseUrl = (pm.environment.get("baseUrl") || pm.collectionVariables.get("baseUrl")).replace(/\\/$/, "");
const json = (body) => ({ mode: "raw", raw: JSON.stringify(body) });
const headers = (token) => Object.assign(
  { "Content-Type": "application/json", Accept: "application/json" },
  token ? { Authorization: "Bearer " + token } : {},
);
const must = (what, status, error, response) => {
  if (error || response.code !== status) {
    throw new Error(what + " failed: " + (error || response.code + " " + response.text()));
  }
  return response.json();
};
const logIn = (who, then) => pm.sendRequest({
  url: baseUrl + "/api/v1/auth/login/",
  method: "POST",
  header: headers(),
  body: json({ email: pm.environment.get(who + "_email"), password: pm.environment.get("password") }),
}, (error, response) => then(must("logging in as " + who, 200, error, response).access));
const useToken = (token) => {
  pm.collectionVariables.set("bearerToken", token);
  pm.collectionVariables.set("bearerRole", role);
};
if (role === "integration_client" && pm.collectionVariables.get("bearerRole") !== role) {
  logIn("clinic_admin", (admin) => pm.sendRequest({
    url: baseUrl + "/api/v1/clinics/?search=" + encodeURIComponent(pm.environment.get("integration_clinic")),
    method: "GET",
    header: headers(admin),
  }, (error, response) => {
    const clinic = must("finding the clinic", 200, error, response).results[0].id;
    pm.sendRequest({
      url: baseUrl + "/api/v1/integration-clients/",
      method: "POST",
      header: headers(admin),
      body: json({ clinic, name: "newman", scopes: pm.environment.get("integration_scopes").split(" ") }),
    }, (error, response) => {
      const made = must("creating the integration client", 201, error, response);
      pm.sendRequest({
        url: baseUrl + "/api/v1/oauth/token/",
        method: "POST",
        header: headers(),
        body: json({ grant_type: "client_credentials", client_id: made.id, client_secret: made.client_secret }),
      }, (error, response) => useToken(must("getting a client token", 200, error, response).access_token));
    });
  }));
} else if (role !== "anonymous" && role !== "integration_client" && pm.collectionVariables.get("bearerRole") !== role) {
  logIn(role, useToken);
}
if (role === "anonymous") {
  pm.collectionVariables.set("bearerToken", "");
}
`.trim().split("\n");

function documentedStatusTest(codes) {
  return [
    `const documented = ${JSON.stringify(codes)};`,
    "pm.test(`answers a documented status (${documented.join(\", \")})`, () => {",
    "  pm.expect(pm.response.code).to.be.oneOf(documented);",
    "});",
    "pm.test(\"no server error\", () => {",
    "  pm.expect(pm.response.code).to.be.below(500);",
    "});",
  ];
}

function runnable(collection) {
  const visit = (items) => {
    for (const item of items) {
      if (item.item) {
        visit(item.item);
        continue;
      }
      const codes = [...new Set((item.response || []).map((response) => response.code))]
        .filter((code) => typeof code === "number")
        .sort((a, b) => a - b);
      if (!codes.length) throw new Error(`${item.name}: no documented status`);
      for (const parameter of item.request.url.query || []) {
        const required = /\(Required\)/.test(JSON.stringify(parameter.description || ""));
        if (!required) parameter.disabled = true;
      }
      item.event = [
        ...(item.event || []).filter((event) => event.listen !== "test"),
        { listen: "test", script: { type: "text/javascript", exec: documentedStatusTest(codes) } },
      ];
    }
  };
  visit(collection.item);
  collection.event = [
    { listen: "prerequest", script: { type: "text/javascript", exec: LOG_IN } },
  ];
  collection.variable = [
    ...(collection.variable || []).filter((variable) => variable.key !== "bearerToken"),
    { key: "bearerToken", type: "string", value: "" },
    { key: "bearerRole", type: "string", value: "" },
  ];
  return collection;
}

Converter.convert(
  { type: "string", data: schema },
  { folderStrategy: "Tags", parametersResolution: "Schema" },
  (error, result) => {
    if (error || !result.result) {
      console.error("conversion failed:", error || result.reason);
      process.exit(1);
    }
    const collection = withStableIds(runnable(result.output[0].data), "$");
    fs.writeFileSync(target, JSON.stringify(collection, null, 2) + "\n");
  },
);
