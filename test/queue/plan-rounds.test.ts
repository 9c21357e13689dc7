import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TaskSpec } from "../../src/core/task-spec.ts";
import { planRounds } from "../../src/queue/plan-rounds.ts";
import { orderReady, type Strategy } from "../../src/queue/strategy.ts";

/** The plan by definition: every round, order the whole ready set and take the first `slots`. */
function planByDefinition(specs: readonly TaskSpec[], strategy: Strategy, slots: number): string[][] {
  const all = specs.map((spec) => spec.id);
  const done = new Set<string>();
  const rounds: string[][] = [];
  while (done.size < all.length) {
    const ready = specs
      .filter((spec) => !done.has(spec.id) && spec.dependsOn.every((dep) => done.has(dep)))
      .map((spec) => spec.id);
    const round = orderReady(strategy, { ready, all, running: [], done: [...done] }).slice(0, slots);
    rounds.push(round);
    for (const id of round) done.add(id);
  }
  return rounds;
}

/** A small deterministic generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** A random acyclic batch of dotted ids (a few branches), listed in shuffled order. */
function randomBatch(seed: number): TaskSpec[] {
  const next = random(seed);
  const count = 2 + Math.floor(next() * 40);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const branch = `b${Math.floor(next() * 6)}`;
    ids.push(next() < 0.3 ? branch : `${branch}.${i}`);
  }
  const unique = [...new Set(ids)];
  const specs: TaskSpec[] = unique.map((id, i) => {
    const dependsOn = unique.slice(0, i).filter(() => next() < 0.15);
    return { id, prompt: id, title: id, dir: "/", model: "a/b", files: [], timeoutMs: 1000, dependsOn };
  });
  for (let i = specs.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [specs[i], specs[j]] = [specs[j] as TaskSpec, specs[i] as TaskSpec];
  }
  return specs;
}

describe("planRounds", () => {
  it("matches ordering the whole ready set every round, for 300 random batches", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const specs = randomBatch(seed);
      for (const strategy of ["depth-first", "breadth-first"] as const) {
        for (const slots of [1, 2, 3, 8]) {
          assert.deepEqual(
            planRounds(specs, strategy, slots),
            planByDefinition(specs, strategy, slots),
            `seed ${seed}, ${strategy}, ${slots} slot(s)`,
          );
        }
      }
    }
  });
});
