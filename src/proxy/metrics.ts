/**
 * Prometheus metrics with no dependency: counters, gauges and histograms in a
 * {@linkcode Metrics} registry, rendered in the text exposition format 0.0.4
 * for `GET /metrics`. Each metric keeps at most `maxSeries` label
 * combinations; later ones are counted in one series whose label values are
 * all `"other"`, so a client sending random paths cannot grow memory.
 *
 * @example
 * ```ts
 * import { Metrics, PROMETHEUS_CONTENT_TYPE } from "./metrics.ts";
 *
 * const metrics = new Metrics();
 * const requests = metrics.counter("app_requests_total", "Requests answered.", ["status"]);
 * metrics.gauge("app_up", "Whether the app is up.", [], () => 1);
 * requests.inc({ status: 200 });
 * const response = new Response(metrics.render(), {
 *   headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
 * });
 * ```
 *
 * @module
 */

/** The `Content-Type` of {@linkcode Metrics.render}'s text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label combinations kept per metric before new ones go to the `"other"` series. */
export const DEFAULT_MAX_SERIES = 1000;

/** Value of each label of a series; a missing label is the empty string. */
export type Labels<L extends string> = { readonly [K in L]: string | number };

/** A value that only goes up (requests, events, reconnects). */
export interface Counter<L extends string = never> {
  inc(n?: number): void;
  inc(labels: Labels<L>, n?: number): void;
  /** Its value now (of the series without labels, or of `labels`). */
  value(labels?: Labels<L>): number;
}

/** A value that goes up and down; `readFrom` makes it read at render time (no labels only). */
export interface Gauge<L extends string = never> {
  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  inc(n?: number): void;
  inc(labels: Labels<L>, n?: number): void;
  dec(n?: number): void;
  dec(labels: Labels<L>, n?: number): void;
  readFrom(read: () => number): void;
  /** Its value now (read from the callback when it has one). */
  value(labels?: Labels<L>): number;
}

/** Observations counted in cumulative buckets, with their sum and count (latencies). */
export interface Histogram<L extends string = never> {
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
}

/** A metric was registered or used against the format's rules (a programming error). */
export class MetricsError extends Error {
  override name = "MetricsError";
}

/** Options of {@linkcode Metrics}. */
export interface MetricsOptions {
  /** Label combinations kept per metric; default {@linkcode DEFAULT_MAX_SERIES}. */
  maxSeries?: number;
}

type AnyLabels = Readonly<Record<string, string | number>>;
type Type = "counter" | "gauge" | "histogram";
type Series<S> = { values: string[]; state: S };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A registry of metrics, rendered in registration order, series sorted by label values. */
export class Metrics {
  readonly #metrics: { name: string; help: string; type: Type; render(): string[] }[] = [];
  readonly #maxSeries: number;

  constructor(options: MetricsOptions = {}) {
    this.#maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isInteger(this.#maxSeries) || this.#maxSeries < 1) {
      throw new MetricsError(`Invalid maxSeries "${options.maxSeries}": expected an integer >= 1`);
    }
  }

  /** Registers a counter; by convention its name ends in `_total`. */
  counter<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): Counter<L> {
    const series = this.#scalar(name, help, "counter", labelNames, (value) => value);
    const inc = (a?: AnyLabels | number, b?: number) => {
      const { labels, value } = split(a, b, 1);
      if (!(value >= 0)) throw new MetricsError(`Counter "${name}" cannot go down by ${value}`);
      series(labels).value += value;
    };
    const value = (labels?: AnyLabels) => series(labels ?? {}).value;
    return { inc, value } as Counter<L>;
  }

  /** Registers a gauge; with `read` (and no labels), its value is read at render time. */
  gauge<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    read?: () => number,
  ): Gauge<L> {
    let reader: (() => number) | undefined;
    const series = this.#scalar(name, help, "gauge", labelNames, (value) => reader?.() ?? value);
    const change = (sign: 0 | 1 | -1) => (a?: AnyLabels | number, b?: number) => {
      const { labels, value } = split(a, b, sign === 0 ? undefined : 1);
      if (reader !== undefined) throw new MetricsError(`Gauge "${name}" is read from a callback`);
      const state = series(labels);
      state.value = sign === 0 ? value : state.value + sign * value;
    };
    const readFrom = (next: () => number) => {
      if (labelNames.length > 0) {
        throw new MetricsError(`Gauge "${name}" has labels: it cannot be read from a callback`);
      }
      reader = next;
    };
    if (read !== undefined) readFrom(read);
    const value = (labels?: AnyLabels) => reader?.() ?? series(labels ?? {}).value;
    return { set: change(0), inc: change(1), dec: change(-1), readFrom, value } as Gauge<L>;
  }

  /** Registers a histogram with these upper bounds (increasing; `+Inf` is always added). */
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): Histogram<L> {
    const bounds = buckets.at(-1) === Infinity ? buckets.slice(0, -1) : [...buckets];
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]))) {
      throw new MetricsError(`Histogram "${name}" buckets must be finite and increasing`);
    }
    if (labelNames.includes("le" as L)) {
      throw new MetricsError(`Histogram "${name}" cannot have a label named "le"`);
    }
    const les = [...bounds.map(formatValue), "+Inf"];
    const create = () => ({ counts: new Array<number>(les.length).fill(0), sum: 0, count: 0 });
    const series = this.#register(name, help, "histogram", labelNames, create, (values, state) => {
      let cumulative = 0;
      const lines = state.counts.map((n, i) =>
        `${name}_bucket${formatLabels(labelNames, values, les[i])} ${(cumulative += n)}`
      );
      const labels = formatLabels(labelNames, values);
      lines.push(`${name}_sum${labels} ${formatValue(state.sum)}`);
      lines.push(`${name}_count${labels} ${state.count}`);
      return lines;
    });
    const observe = (a: AnyLabels | number, b?: number) => {
      const { labels, value } = split(a, b);
      const state = series(labels);
      const index = bounds.findIndex((bound) => value <= bound);
      state.counts[index < 0 ? bounds.length : index]++;
      state.sum += value;
      state.count++;
    };
    return { observe } as Histogram<L>;
  }

  /** Every metric in the text exposition format 0.0.4, ending with a newline. */
  render(): string {
    const lines: string[] = [];
    for (const { name, help, type, render } of this.#metrics) {
      const text = help.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
      lines.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`, ...render());
    }
    return lines.length === 0 ? "" : lines.join("\n") + "\n";
  }

  /** A counter or gauge: one number per series. */
  #scalar(
    name: string,
    help: string,
    type: Type,
    labelNames: readonly string[],
    read: (n: number) => number,
  ) {
    const create = () => ({ value: 0 });
    return this.#register(name, help, type, labelNames, create, (values, state) => [
      `${name}${formatLabels(labelNames, values)} ${formatValue(read(state.value))}`,
    ]);
  }

  /** Adds a metric; returns the function giving the state of the series for some labels. */
  #register<S>(
    name: string,
    help: string,
    type: Type,
    labelNames: readonly string[],
    create: () => S,
    lines: (values: readonly string[], state: S) => string[],
  ): (labels?: AnyLabels) => S {
    if (!METRIC_NAME.test(name)) throw new MetricsError(`Invalid metric name "${name}"`);
    if (this.#metrics.some((metric) => metric.name === name)) {
      throw new MetricsError(`Metric "${name}" is already registered`);
    }
    for (const [i, label] of labelNames.entries()) {
      if (!LABEL_NAME.test(label) || label.startsWith("__") || labelNames.indexOf(label) < i) {
        throw new MetricsError(`Invalid or repeated label name "${label}" of metric "${name}"`);
      }
    }
    const all = new Map<string, Series<S>>();
    const maxSeries = this.#maxSeries;
    const series = (labels?: AnyLabels): S => {
      let values = labelNames.map((label) => String(labels?.[label] ?? ""));
      let found = all.get(JSON.stringify(values));
      if (found === undefined && all.size >= maxSeries) {
        values = labelNames.map(() => "other");
        found = all.get(JSON.stringify(values));
      }
      if (found === undefined) all.set(JSON.stringify(values), found = { values, state: create() });
      return found.state;
    };
    if (labelNames.length === 0) series();
    const render = () =>
      [...all.values()].sort((a, b) => compare(a.values, b.values))
        .flatMap(({ values, state }) => lines(values, state));
    this.#metrics.push({ name, help, type, render });
    return series;
  }
}

/** The two ways every handle method is called: `(value)` or `(labels, value)`. */
function split(a: AnyLabels | number | undefined, b: number | undefined, byDefault?: number) {
  const value = typeof a === "number" ? a : b ?? byDefault;
  if (value === undefined) throw new MetricsError("Missing value");
  return { labels: typeof a === "object" ? a : undefined, value };
}

function formatValue(value: number): string {
  return value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value);
}

function formatLabels(names: readonly string[], values: readonly string[], le?: string): string {
  const pairs = names.map((name, i) =>
    `${name}="${values[i].replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`)}"`
  );
  if (le !== undefined) pairs.push(`le="${le}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function compare(a: readonly string[], b: readonly string[]): number {
  const i = a.findIndex((value, i) => value !== b[i]);
  return i < 0 ? 0 : a[i] < b[i] ? -1 : 1;
}

/** Upper bounds of {@linkcode ProxyMetrics.httpLatency}, in seconds. */
// deno-fmt-ignore
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** The proxy's registry (render it for `GET /metrics`) and the handles it updates. */
export interface ProxyMetrics {
  registry: Metrics;
  /** `route` is the route pattern (`/ami/jobs/:id`), never the raw path. */
  httpRequests: Counter<"route" | "method" | "status">;
  httpLatency: Histogram<"route">;
  /** 1 while logged in to the PBX named by `pbx`, else 0. */
  amiConnected: Gauge<"pbx">;
  amiReconnects: Counter<"pbx">;
  amiEvents: Counter<"pbx">;
  /** AMI events the proxy lost because it fell behind the PBX (each loss is a `gap` in SSE). */
  amiEventsLost: Counter<"pbx">;
  /** 1 per PBX and feature its AMI user may use, 0 for one its manager.conf classes do not allow. */
  amiFeatureAllowed: Gauge<"pbx" | "feature">;
  /** Usually `readFrom` the SSE hub. */
  sseSubscribers: Gauge;
  /** Usually `readFrom` the SSE hub: subscribers with events waiting that their queue cannot take. */
  sseSubscribersBehind: Gauge;
  /** By `outcome`: `attempt`, `ok`, `denied`, `error`. */
  auditWrites: Counter<"outcome">;
  auditFailures: Counter;
  /** Checkpoints of the audit's WAL that failed (the main file cannot be written). */
  auditCheckpointFailures: Counter;
  /** WAL frames not yet copied into the main file, at the last checkpoint. */
  auditWalPending: Gauge;
  /** Restarts of the audit worker after it stopped. */
  auditWorkerRestarts: Counter;
  /** Usually `readFrom` the audit trail: 1 while rows can be written, else 0. */
  auditWritable: Gauge;
  jobs: Gauge<"state">;
}

/** A registry with the proxy's metrics, named `astrix_*`. */
export function createProxyMetrics(options: MetricsOptions = {}): ProxyMetrics {
  const m = new Metrics(options);
  return {
    registry: m,
    httpRequests: m.counter("astrix_http_requests_total", "HTTP requests answered.", [
      "route",
      "method",
      "status",
    ]),
    httpLatency: m.histogram(
      "astrix_http_request_duration_seconds",
      "Time to answer HTTP requests, in seconds.",
      ["route"],
      LATENCY_BUCKETS,
    ),
    amiConnected: m.gauge("astrix_ami_connected", "1 while logged in to the PBX's AMI, else 0.", [
      "pbx",
    ]),
    amiReconnects: m.counter("astrix_ami_reconnects_total", "Reconnections to AMI.", ["pbx"]),
    amiEvents: m.counter("astrix_ami_events_total", "AMI events received.", ["pbx"]),
    amiEventsLost: m.counter(
      "astrix_ami_events_lost_total",
      "AMI events lost because the proxy fell behind the PBX's event stream.",
      ["pbx"],
    ),
    amiFeatureAllowed: m.gauge(
      "astrix_ami_feature_allowed",
      "1 if the AMI user's manager.conf classes allow the feature, 0 if not (checked at login).",
      ["pbx", "feature"],
    ),
    sseSubscribers: m.gauge("astrix_sse_subscribers", "Open server-sent event streams."),
    sseSubscribersBehind: m.gauge(
      "astrix_sse_subscribers_behind",
      "SSE subscribers not keeping up: events wait that their connection cannot take yet.",
    ),
    auditWrites: m.counter("astrix_audit_writes_total", "Audit rows written.", ["outcome"]),
    auditFailures: m.counter("astrix_audit_write_failures_total", "Audit writes that failed."),
    auditCheckpointFailures: m.counter(
      "astrix_audit_checkpoint_failures_total",
      "Checkpoints of the audit's WAL that failed: its main file cannot be written.",
    ),
    auditWalPending: m.gauge(
      "astrix_audit_wal_pending_frames",
      "Audit WAL frames not copied into the main file at the last checkpoint.",
    ),
    auditWorkerRestarts: m.counter(
      "astrix_audit_worker_restarts_total",
      "Restarts of the audit worker thread after it stopped.",
    ),
    auditWritable: m.gauge("astrix_audit_writable", "1 while audit rows can be written, else 0."),
    jobs: m.gauge("astrix_jobs", "Jobs by state.", ["state"]),
  };
}
