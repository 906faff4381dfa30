// Sends DogStatsD exactly as Langfuse v4.16.0 does: through dd-trace's client (dd.dogstatsd), initialised as
// Langfuse initialises it (worker/src/instrumentation.ts, web/src/observability.config.ts), configured only by
// the DD_* environment the deployment sets. argv[2]: JSON list of [method, stat, value, tags] calls.
const dd = require("dd-trace");

dd.init({ runtimeMetrics: false, plugins: false }); // Langfuse sets runtimeMetrics: true; off to keep the capture to the calls
for (const [method, stat, value, tags] of JSON.parse(process.argv[2])) {
  dd.dogstatsd[method](stat, value, tags);
}
dd.dogstatsd.flush();
setTimeout(() => process.exit(0), 1000);
