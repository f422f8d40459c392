import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import {
  createProxyMetrics,
  Metrics,
  MetricsError,
  PROMETHEUS_CONTENT_TYPE,
} from "../../src/proxy/metrics.ts";

/** One sample line of the text format: name, optional label set, value. */
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE = new RegExp(
  String.raw`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{${LABEL}(,${LABEL})*\})? ` +
    String.raw`([+-]?\d+(\.\d+)?([eE][+-]?\d+)?|[+-]Inf|NaN)$`,
);

function samples(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

Deno.test("Metrics render writes counters, callback gauges and cumulative histograms", () => {
  const metrics = new Metrics();
  const requests = metrics.counter("app_requests_total", "Requests answered.", [
    "route",
    "status",
  ]);
  let subscribers = 2;
  metrics.gauge("app_subscribers", "Open streams.", [], () => subscribers);
  const latency = metrics.histogram("app_latency_seconds", "Latency.", [], [0.1, 0.5, 1]);

  requests.inc({ route: "/b", status: 200 });
  requests.inc({ route: "/a", status: 404 }, 2);
  requests.inc({ route: "/a", status: 200 });
  requests.inc({ route: "/b", status: 200 });
  for (const seconds of [0.25, 0.5, 4]) latency.observe(seconds);
  subscribers = 3;

  assertEquals(
    metrics.render(),
    [
      "# HELP app_requests_total Requests answered.",
      "# TYPE app_requests_total counter",
      'app_requests_total{route="/a",status="200"} 1',
      'app_requests_total{route="/a",status="404"} 2',
      'app_requests_total{route="/b",status="200"} 2',
      "# HELP app_subscribers Open streams.",
      "# TYPE app_subscribers gauge",
      "app_subscribers 3",
      "# HELP app_latency_seconds Latency.",
      "# TYPE app_latency_seconds histogram",
      'app_latency_seconds_bucket{le="0.1"} 0',
      'app_latency_seconds_bucket{le="0.5"} 2',
      'app_latency_seconds_bucket{le="1"} 2',
      'app_latency_seconds_bucket{le="+Inf"} 3',
      "app_latency_seconds_sum 4.75",
      "app_latency_seconds_count 3",
      "",
    ].join("\n"),
  );
});

Deno.test("Metrics render puts a histogram's labels before le", () => {
  const metrics = new Metrics();
  const latency = metrics.histogram("h", "H.", ["route"], [1, Infinity]);
  latency.observe({ route: "/x" }, 0.5);
  latency.observe({ route: "/x" }, 2);
  assertEquals(samples(metrics.render()), [
    'h_bucket{route="/x",le="1"} 1',
    'h_bucket{route="/x",le="+Inf"} 2',
    'h_sum{route="/x"} 2.5',
    'h_count{route="/x"} 2',
  ]);
});

Deno.test("Metrics render shows label-less metrics at 0 and labelled ones without series", () => {
  const metrics = new Metrics();
  metrics.counter("events_total", "Events.");
  metrics.gauge("jobs", "Jobs.", ["state"]);
  metrics.histogram("latency", "Latency.", [], [1]);
  assertEquals(samples(metrics.render()), [
    "events_total 0",
    'latency_bucket{le="1"} 0',
    'latency_bucket{le="+Inf"} 0',
    "latency_sum 0",
    "latency_count 0",
  ]);
  assertEquals(new Metrics().render(), "");
});

Deno.test("Metrics render escapes label values and help text", () => {
  const metrics = new Metrics();
  const counter = metrics.counter("c_total", 'Help with \\ and\na newline, "quotes" kept.', ["v"]);
  counter.inc({ v: 'back\\slash "quoted"\nnext line' });
  assertEquals(
    metrics.render(),
    [
      '# HELP c_total Help with \\\\ and\\na newline, "quotes" kept.',
      "# TYPE c_total counter",
      'c_total{v="back\\\\slash \\"quoted\\"\\nnext line"} 1',
      "",
    ].join("\n"),
  );
});

Deno.test("Metrics render formats special values as Prometheus does", () => {
  const metrics = new Metrics();
  const gauge = metrics.gauge("g", "G.", ["k"]);
  gauge.set({ k: "a" }, Infinity);
  gauge.set({ k: "b" }, -Infinity);
  gauge.set({ k: "c" }, NaN);
  gauge.set({ k: "d" }, 1e-7);
  gauge.set({ k: "e" }, 42);
  assertEquals(samples(metrics.render()), [
    'g{k="a"} +Inf',
    'g{k="b"} -Inf',
    'g{k="c"} NaN',
    'g{k="d"} 1e-7',
    'g{k="e"} 42',
  ]);
});

Deno.test("Gauge set, inc, dec and readFrom", () => {
  const metrics = new Metrics();
  const jobs = metrics.gauge("jobs", "Jobs.", ["state"]);
  const up = metrics.gauge("up", "Up.");
  jobs.set({ state: "running" }, 5);
  jobs.inc({ state: "running" });
  jobs.dec({ state: "running" }, 3);
  jobs.inc({ state: "done" }, 2);
  up.set(1);
  assertEquals(samples(metrics.render()), [
    'jobs{state="done"} 2',
    'jobs{state="running"} 3',
    "up 1",
  ]);
  up.readFrom(() => 0);
  assertEquals(samples(metrics.render()).at(-1), "up 0");
  assertThrows(() => up.set(1), MetricsError, "read from a callback");
});

Deno.test("Metrics caps the series of a metric and counts the rest as other", () => {
  const metrics = new Metrics({ maxSeries: 3 });
  const requests = metrics.counter("requests_total", "Requests.", ["route", "method"]);
  const latency = metrics.histogram("latency", "Latency.", ["route"], [1]);
  for (const route of ["/a", "/b", "/c", "/random1", "/random2"]) {
    requests.inc({ route, method: "GET" });
    latency.observe({ route }, 0.5);
  }
  requests.inc({ route: "/a", method: "GET" });
  assertEquals(samples(metrics.render()).slice(0, 4), [
    'requests_total{route="/a",method="GET"} 2',
    'requests_total{route="/b",method="GET"} 1',
    'requests_total{route="/c",method="GET"} 1',
    'requests_total{route="other",method="other"} 2',
  ]);
  assertEquals(samples(metrics.render()).filter((s) => s.startsWith("latency_count")), [
    'latency_count{route="/a"} 1',
    'latency_count{route="/b"} 1',
    'latency_count{route="/c"} 1',
    'latency_count{route="other"} 2',
  ]);
});

Deno.test("createProxyMetrics keeps 1,000 routes and one other series by default", () => {
  const { registry, httpRequests } = createProxyMetrics();
  for (let i = 0; i < 5000; i++) httpRequests.inc({ route: `/x/${i}`, method: "GET", status: 404 });
  const lines = samples(registry.render()).filter((s) => s.startsWith("astrix_http_requests"));
  assertEquals(lines.length, 1001);
  assert(
    lines.includes('astrix_http_requests_total{route="other",method="other",status="other"} 4000'),
  );
});

Deno.test("createProxyMetrics renders every proxy metric in order, each line parseable", () => {
  const proxy = createProxyMetrics();
  proxy.httpRequests.inc({ route: "/ami/jobs/:id", method: "GET", status: 200 });
  proxy.httpRequests.inc({ route: 'odd "route"\\\n', method: "POST", status: 500 });
  proxy.httpLatency.observe({ route: "/ami/jobs/:id" }, 0.003);
  proxy.httpLatency.observe({ route: "/ami/jobs/:id" }, 12);
  proxy.amiConnected.set({ pbx: "floor1" }, 1);
  proxy.amiReconnects.inc({ pbx: "floor1" });
  proxy.amiEvents.inc({ pbx: "floor1" }, 25);
  proxy.amiFeatureAllowed.set({ pbx: "floor1", feature: "hangup" }, 0);
  proxy.sseSubscribers.readFrom(() => 4);
  proxy.auditWrites.inc({ outcome: "attempt" });
  proxy.auditWrites.inc({ outcome: "ok" });
  proxy.auditFailures.inc();
  proxy.jobs.set({ state: "running" }, 2);
  const text = proxy.registry.render();

  assertEquals(text.split("\n").filter((line) => line.startsWith("# TYPE")), [
    "# TYPE astrix_http_requests_total counter",
    "# TYPE astrix_http_request_duration_seconds histogram",
    "# TYPE astrix_ami_connected gauge",
    "# TYPE astrix_ami_reconnects_total counter",
    "# TYPE astrix_ami_events_total counter",
    "# TYPE astrix_ami_events_lost_total counter",
    "# TYPE astrix_ami_feature_allowed gauge",
    "# TYPE astrix_sse_subscribers gauge",
    "# TYPE astrix_sse_subscribers_behind gauge",
    "# TYPE astrix_audit_writes_total counter",
    "# TYPE astrix_audit_write_failures_total counter",
    "# TYPE astrix_audit_checkpoint_failures_total counter",
    "# TYPE astrix_audit_wal_pending_frames gauge",
    "# TYPE astrix_audit_worker_restarts_total counter",
    "# TYPE astrix_audit_writable gauge",
    "# TYPE astrix_jobs gauge",
  ]);
  assert(text.endsWith("\n"));
  for (const line of samples(text)) assertMatch(line, SAMPLE);
  for (const bad of ['x{a="b"c"} 1', 'x{a="b\nc"} 1', "x 1.", 'x{le="1",} 2', "x-y 1"]) {
    assert(!SAMPLE.test(bad), `the line check takes ${JSON.stringify(bad)}`);
  }
  for (const line of text.split("\n").filter((line) => line.startsWith("#"))) {
    assertMatch(line, /^# (HELP|TYPE) astrix_[a-z_]+ \S/);
  }
  const buckets = samples(text).filter((s) => s.includes("_duration_seconds_bucket"));
  assertEquals(buckets.length, 13);
  assertEquals(
    buckets[0],
    'astrix_http_request_duration_seconds_bucket{route="/ami/jobs/:id",le="0.001"} 0',
  );
  assertEquals(
    buckets[2],
    'astrix_http_request_duration_seconds_bucket{route="/ami/jobs/:id",le="0.005"} 1',
  );
  assertEquals(
    buckets[11],
    'astrix_http_request_duration_seconds_bucket{route="/ami/jobs/:id",le="5"} 1',
  );
  assertEquals(
    buckets[12],
    'astrix_http_request_duration_seconds_bucket{route="/ami/jobs/:id",le="+Inf"} 2',
  );
  assert(samples(text).includes("astrix_sse_subscribers 4"));
  assert(samples(text).includes('astrix_ami_events_total{pbx="floor1"} 25'));
  assert(samples(text).includes('astrix_ami_feature_allowed{pbx="floor1",feature="hangup"} 0'));
});

Deno.test("PROMETHEUS_CONTENT_TYPE is the text format 0.0.4", () => {
  assertEquals(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("Metrics refuses what the format does not allow", () => {
  const metrics = new Metrics();
  const counter = metrics.counter("ok_total", "Ok.");
  assertThrows(() => metrics.counter("ok_total", "Again."), MetricsError, '"ok_total" is already');
  assertThrows(() => metrics.counter("bad-name", "Bad."), MetricsError, '"bad-name"');
  assertThrows(() => metrics.gauge("g", "G.", ["__reserved"]), MetricsError, '"__reserved"');
  assertThrows(() => metrics.gauge("g2", "G.", ["a", "a"]), MetricsError, "repeated");
  assertThrows(() => metrics.histogram("h", "H.", ["le"], [1]), MetricsError, '"le"');
  assertThrows(() => metrics.histogram("h2", "H.", [], [1, 1]), MetricsError, "increasing");
  assertThrows(() => metrics.histogram("h3", "H.", [], [1, NaN]), MetricsError, "finite");
  assertThrows(() => metrics.gauge("g3", "G.", ["a"], () => 1), MetricsError, "has labels");
  assertThrows(() => counter.inc(-1), MetricsError, "cannot go down");
  assertThrows(() => new Metrics({ maxSeries: 0 }), MetricsError, "maxSeries");
});

Deno.test("value() reads a counter's and a gauge's value now, what render() shows", () => {
  const metrics = new Metrics();
  const reconnects = metrics.counter("x_reconnects_total", "Reconnects.");
  const byOutcome = metrics.counter("x_writes_total", "Writes.", ["outcome"]);
  const open = metrics.gauge("x_open", "Open.");
  const read = metrics.gauge("x_read", "Read.");
  assertEquals([reconnects.value(), open.value()], [0, 0]);
  reconnects.inc();
  reconnects.inc(2);
  byOutcome.inc({ outcome: "ok" }, 5);
  open.set(7);
  open.dec();
  let source = 41;
  read.readFrom(() => ++source);
  assertEquals(
    [reconnects.value(), byOutcome.value({ outcome: "ok" }), open.value(), read.value()],
    [3, 5, 6, 42],
  );
  assertMatch(metrics.render(), /^x_reconnects_total 3$/m);
  assertMatch(metrics.render(), /^x_open 6$/m);
});
