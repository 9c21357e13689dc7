import { collectDefaultMetrics, Registry } from "prom-client";
import { errorMessage } from "../core/errors.ts";
import type { DroverEventBody, EventBus } from "../core/events.ts";
import { createEventMetrics, type ModelLookup } from "./event-metrics.ts";
import { createScrapeMetrics, type ScrapeMetrics, type ScrapeSources } from "./scrape-metrics.ts";

/** A scrape's answer: Prometheus text exposition format. */
export interface MetricsScrape {
  contentType: string;
  body: string;
}

export interface DroverMetricsOptions {
  bus: EventBus;
  /** The model of an attempt whose start this process did not see (the task's current model). */
  modelOf: ModelLookup;
  /** Where a failing source is reported (a `warning` event); never throws. */
  report(event: DroverEventBody): void;
  /** With a fleet: adds the fleet's host series. */
  withFleet?: boolean;
}

/**
 * One app's Prometheus metrics (`drover_*`), on a registry of its own so several apps can live in
 * one process (tests). Listens to the bus from creation, so it should exist before the engine
 * starts; `readFrom` gives it the store and supervisor once they exist.
 */
export class DroverMetrics {
  readonly registry = new Registry();
  readonly #scrape: ScrapeMetrics;
  readonly #report: DroverMetricsOptions["report"];
  readonly #unsubscribe: () => void;
  #sources: ScrapeSources | undefined;

  constructor(options: DroverMetricsOptions) {
    this.#report = options.report;
    collectDefaultMetrics({ register: this.registry, prefix: "drover_" });
    const events = createEventMetrics(this.registry, options.modelOf);
    this.#scrape = createScrapeMetrics(this.registry, options.withFleet ?? false);
    this.#unsubscribe = options.bus.subscribe((event) => events.observe(event));
  }

  /** Where scrapes read tasks, slots, the queue and the fleet's hosts from. */
  readFrom(sources: ScrapeSources): void {
    this.#sources = sources;
  }

  /** Every series now, in Prometheus text format; a source that fails is a warning, not an error. */
  async scrape(): Promise<MetricsScrape> {
    if (this.#sources) this.#scrape.takeSnapshot(this.#sources, (code, error) => this.#warn(code, error));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops listening to the bus. */
  close(): void {
    this.#unsubscribe();
  }

  #warn(code: string, error: unknown): void {
    try {
      this.#report({ type: "warning", code, message: `metrics: ${errorMessage(error)}` });
    } catch {
      // Nothing is left to report through.
    }
  }
}
