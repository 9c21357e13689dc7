import { spawnSync } from "node:child_process";

export type StrictAvailability = { ok: true; bwrap: string } | { ok: false; reason: string };

let cached: StrictAvailability | undefined;

/**
 * Whether the `strict` profile can be had here: `bwrap` (Debian `bubblewrap`) on PATH and able to
 * make user, PID and network namespaces. Probed once per process by running `true` inside one.
 */
export function strictSandboxAvailability(env: NodeJS.ProcessEnv = process.env): StrictAvailability {
  if (cached) return cached;
  const bwrap = env.DROVER_BWRAP ?? "bwrap";
  const probe = spawnSync(
    bwrap,
    ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
    { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "ignore", "pipe"] },
  );
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === "ENOENT";
    cached = {
      ok: false,
      reason: missing
        ? `${bwrap} not found: the strict sandbox needs bubblewrap (apt install bubblewrap)`
        : `cannot run ${bwrap}: ${probe.error.message}`,
    };
  } else if (probe.status !== 0) {
    const said = probe.stderr.trim().split("\n").slice(-2).join(" ");
    cached = {
      ok: false,
      reason: `${bwrap} cannot make namespaces here (${said || `exit ${probe.status}`}); user namespaces may be off (sysctl kernel.unprivileged_userns_clone)`,
    };
  } else {
    cached = { ok: true, bwrap };
  }
  return cached;
}
