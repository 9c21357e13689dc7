import type { DroverEventBody } from "../../core/events.ts";
import type { OpencodeServer } from "./opencode-server.ts";

/** Failed checks in a row after which a server drover started is replaced. */
const failuresToReplace = 3;

/**
 * The pool's health checks: each round asks every live server; a failure is an `unhealthy` event,
 * and a server failing `failuresToReplace` rounds in a row is handed to `replace`.
 */
export class HealthChecks {
  readonly #failures = new Map<string, number>();
  readonly #report: (event: Extract<DroverEventBody, { type: "engine.server" }>) => void;
  readonly #replace: (index: number, server: OpencodeServer, reason: string) => Promise<void>;

  constructor(options: {
    report(event: Extract<DroverEventBody, { type: "engine.server" }>): void;
    replace(index: number, server: OpencodeServer, reason: string): Promise<void>;
  }) {
    this.#report = options.report;
    this.#replace = options.replace;
  }

  async round(servers: readonly (OpencodeServer | undefined)[], stopping: () => boolean): Promise<void> {
    for (const [index, server] of servers.entries()) {
      if (!server || server.lost || stopping()) continue;
      if (await server.healthy()) {
        this.#failures.delete(server.name);
        continue;
      }
      const failures = (this.#failures.get(server.name) ?? 0) + 1;
      this.#failures.set(server.name, failures);
      this.#report({
        type: "engine.server",
        server: server.name,
        state: "unhealthy",
        detail: `${failures} failed health checks`,
      });
      if (failures >= failuresToReplace && server.process)
        await this.#replace(index, server, `failed ${failuresToReplace} health checks`);
    }
  }
}
