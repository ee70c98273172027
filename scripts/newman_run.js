// Runs api_schema/careslot.postman_collection.json with newman against a live server, once per
// role (anonymous, then each demo account, logged in by the collection's pre-request script,
// then a clinic integration's client-credentials token),
// and fails if any request answers a status its operation does not document or a 5xx; then the
// hand-written journey (clients/postman/careslot.journey.postman_collection.json), once.
//   node scripts/newman_run.js http://127.0.0.1:8000
const path = require("path");
const newman = require("newman");

const root = path.resolve(__dirname, "..");
const baseUrl = process.argv[2] || process.env.CARESLOT_URL;
if (!baseUrl) {
  console.error("usage: node scripts/newman_run.js <base URL>");
  process.exit(2);
}
// integration_client: a clinic integration's client-credentials token (docs/integrations.md)
const ROLES = ["anonymous", "patient", "doctor", "clinic_admin", "platform_admin", "integration_client"];

const GENERATED = path.join(root, "api_schema", "careslot.postman_collection.json");
const JOURNEY = path.join(root, "clients", "postman", "careslot.journey.postman_collection.json");

function run(collection, role) {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        environment: path.join(root, "clients", "postman", "careslot.postman_environment.json"),
        envVar: [
          { key: "baseUrl", value: baseUrl },
          { key: "role", value: role },
        ],
        reporters: ["cli"],
        reporter: { cli: { noSummary: false, noAssertions: false, noSuccessAssertions: true } },
        timeoutRequest: 30000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

(async () => {
  const totals = { requests: 0, assertions: 0, failures: 0 };
  const runs = [
    ...ROLES.map((role) => [`generated collection as ${role}`, GENERATED, role]),
    ["hand-written journey", JOURNEY, "anonymous"],
  ];
  for (const [name, collection, role] of runs) {
    console.log(`\n--- newman: ${name} ---`);
    const summary = await run(collection, role);
    const stats = summary.run.stats;
    const failures = summary.run.failures.length;
    totals.requests += stats.requests.total;
    totals.assertions += stats.assertions.total;
    totals.failures += failures;
    console.log(
      `newman ${name}: ${stats.requests.total} requests, ${stats.assertions.total} assertions, ` +
        `${failures} failures`,
    );
  }
  console.log(
    `newman: ${totals.requests} requests, ${totals.assertions} assertions, ` +
      `${totals.failures} failures`,
  );
  process.exitCode = totals.failures ? 1 : 0;
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
