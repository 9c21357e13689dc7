import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  ClaimedTask,
  FinishReason,
  Queue,
  TaskKey,
} from "../../../src/queue/contract/queue-contract.ts";
import { waitFor } from "../../helpers/wait-for.ts";

/** One fresh, empty queue store; `open` may be called many times for handles on the same store. */
export interface QueueUnderTest {
  open(): Promise<Queue>;
  /** The time the backend judges leases and run-at times by. */
  now(): number;
  /** Moves a fake clock forward; a backend on real time lets the waits below pass time instead. */
  letTimePass(ms: number): void;
  /** Crashes and restarts the store underneath (every handle is closed before). */
  restartStore(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface QueueBackendUnderTest {
  name: string;
  /** A lease short enough to watch expire in a test. */
  shortLeaseMs: number;
  create(): Promise<QueueUnderTest>;
}

const key = (taskId: string): TaskKey => ({ batchId: "bat_conformance", taskId });
const longLeaseMs = 60_000;

/** The behaviour every Queue backend must show; each case opens its own store. */
export function queueConformance(backend: QueueBackendUnderTest): void {
  const withQueue = (name: string, body: (store: QueueUnderTest, queue: Queue) => Promise<void>) =>
    test(`${backend.name}: ${name}`, async () => {
      const store = await backend.create();
      const queue = await store.open();
      try {
        await body(store, queue);
      } finally {
        await queue.close();
        await store.cleanup();
      }
    });

  withQueue("every task is claimed exactly once by 5 racing claimers", async (store, queue) => {
    for (let i = 0; i < 50; i++) await queue.enqueue(key(`t${i}`));
    const claimers = await Promise.all(Array.from({ length: 5 }, () => store.open()));
    try {
      const claimedBy = await Promise.all(
        claimers.map(async (claimer, index) => {
          const mine: string[] = [];
          for (;;) {
            const claimed = await claimer.claim({ owner: `claimer-${index}`, leaseMs: longLeaseMs });
            if (!claimed) return mine;
            mine.push(claimed.task.taskId);
            assert.deepEqual(await claimer.complete(claimed.lease), { ok: true });
          }
        }),
      );
      const all = claimedBy.flat();
      assert.equal(all.length, 50);
      assert.equal(new Set(all).size, 50);
    } finally {
      await Promise.all(claimers.map((claimer) => claimer.close()));
    }
  });

  withQueue("claims lower priority numbers first, FIFO among equals", async (_store, queue) => {
    await queue.enqueue({ ...key("late-a"), priority: 5 });
    await queue.enqueue({ ...key("early-a"), priority: 0 });
    await queue.enqueue({ ...key("late-b"), priority: 5 });
    await queue.enqueue({ ...key("early-b"), priority: 0 });
    const order: string[] = [];
    for (let claimed = await claimOne(queue); claimed; claimed = await claimOne(queue)) {
      order.push(claimed.task.taskId);
    }
    assert.deepEqual(order, ["early-a", "early-b", "late-a", "late-b"]);
  });

  withQueue(
    "a task already queued is not queued twice; routing comes back with the claim",
    async (_store, queue) => {
      const routing = { engine: "opencode", model: "mock/m1", dir: "/repo" };
      assert.deepEqual(await queue.enqueue({ ...key("once"), routing }), { enqueued: true });
      assert.deepEqual(await queue.enqueue(key("once")), { enqueued: false, reason: "already_queued" });
      const claimed = await claimOne(queue);
      assert.deepEqual(claimed?.task.routing, routing);
      assert.equal(await claimOne(queue), undefined);
    },
  );

  withQueue("an expired lease is reclaimed; the old holder then gets lease_lost", async (store, queue) => {
    const ready = collectReady(queue);
    await queue.enqueue(key("expires"));
    const first = await queue.claim({ owner: "old", leaseMs: backend.shortLeaseMs });
    assert.ok(first);
    store.letTimePass(backend.shortLeaseMs + 1);
    const second = await claimAfterReclaim(queue, "new");
    assert.equal(second.task.taskId, "expires");
    assert.equal(second.claimCount, 2);
    assert.ok(ready.some((taskId) => taskId === "expires"));
    assert.deepEqual(await queue.renewLease(first.lease, longLeaseMs), { ok: false, reason: "lease_lost" });
    assert.deepEqual(await queue.complete(first.lease), { ok: false, reason: "lease_lost" });
    assert.deepEqual(await queue.retryAt(first.lease, store.now()), { ok: false, reason: "lease_lost" });
    assert.deepEqual(await queue.complete(second.lease), { ok: true });
  });

  withQueue("renewing keeps a lease past its first expiry", async (store, queue) => {
    await queue.enqueue(key("renewed"));
    const held = await queue.claim({ owner: "holder", leaseMs: backend.shortLeaseMs });
    assert.ok(held);
    const until = store.now() + backend.shortLeaseMs * 2.5;
    while (store.now() < until) {
      assert.equal((await queue.renewLease(held.lease, backend.shortLeaseMs)).ok, true);
      store.letTimePass(backend.shortLeaseMs / 3);
      await queue.reclaimExpiredLeases();
      assert.equal(await queue.claim({ owner: "thief", leaseMs: longLeaseMs }), undefined);
      await new Promise((resolve) => setTimeout(resolve, backend.shortLeaseMs / 10));
    }
    assert.deepEqual(await queue.complete(held.lease), { ok: true });
  });

  for (const move of ["retryAt", "parkUntil"] as const) {
    withQueue(`${move}: not claimable before its time, claimable after`, async (store, queue) => {
      const ready = collectReady(queue);
      await queue.enqueue(key(move));
      const held = await claimOne(queue);
      assert.ok(held);
      const runAt = store.now() + backend.shortLeaseMs * 2;
      assert.deepEqual(await queue[move](held.lease, runAt), { ok: true });
      const readyBefore = ready.length;
      assert.equal(await claimOne(queue), undefined);
      store.letTimePass(backend.shortLeaseMs * 2 + 1);
      let again: ClaimedTask | undefined;
      await waitFor(async () => {
        again = await claimOne(queue);
        return again !== undefined;
      });
      assert.ok(store.now() >= runAt - 50, "claimed before its run-at");
      assert.equal(again?.task.taskId, move);
      await waitFor(() => ready.length > readyBefore);
      assert.deepEqual(await queue.complete(held.lease), { ok: false, reason: "lease_lost" });
    });
  }

  withQueue("cancelling a queued task removes it", async (_store, queue) => {
    const finished = collectFinished(queue);
    await queue.enqueue(key("queued"));
    assert.deepEqual(await queue.cancel(key("queued")), { cancelled: "removed" });
    assert.equal(await claimOne(queue), undefined);
    await waitFor(() => finished.some((entry) => entry === "queued:cancelled"));
    assert.deepEqual(await queue.cancel(key("queued")), { cancelled: false, reason: "not_found" });
  });

  withQueue("cancelling a claimed task tells its holder on the next renew", async (_store, queue) => {
    const finished = collectFinished(queue);
    await queue.enqueue(key("held"));
    const held = await claimOne(queue);
    assert.ok(held);
    assert.deepEqual(await queue.cancel(key("held")), { cancelled: "marked" });
    assert.deepEqual(await queue.renewLease(held.lease, longLeaseMs), { ok: false, reason: "cancelled" });
    assert.deepEqual(await queue.complete(held.lease), { ok: true });
    await waitFor(() => finished.some((entry) => entry === "held:cancelled"));
    assert.equal(await claimOne(queue), undefined);
  });

  withQueue("completing sends task finished and the task is gone", async (_store, queue) => {
    const finished = collectFinished(queue);
    await queue.enqueue(key("done"));
    const held = await claimOne(queue);
    assert.ok(held);
    assert.deepEqual(await queue.complete(held.lease), { ok: true });
    await waitFor(() => finished.some((entry) => entry === "done:completed"));
    assert.equal(await claimOne(queue), undefined);
  });

  withQueue("the payload reaches the claimer as given, and has() follows the task", async (_store, queue) => {
    const payload = { attemptId: "att_1", files: ["a.ts"], nested: { n: 1 } };
    assert.equal(await queue.has(key("carried")), false);
    await queue.enqueue({ ...key("carried"), payload });
    assert.equal(await queue.has(key("carried")), true);
    const held = await claimOne(queue);
    assert.ok(held);
    assert.deepEqual(held.task.payload, payload);
    assert.equal(await queue.has(key("carried")), true);
    assert.deepEqual(await queue.complete(held.lease), { ok: true });
    assert.equal(await queue.has(key("carried")), false);
  });

  test(`${backend.name}: no enqueued-but-unfinished task is lost across a store restart`, async () => {
    const store = await backend.create();
    let queue = await store.open();
    try {
      for (let i = 0; i < 10; i++) await queue.enqueue(key(`r${i}`));
      const held: (ClaimedTask | undefined)[] = [];
      for (let i = 0; i < 3; i++)
        held.push(await queue.claim({ owner: "before", leaseMs: backend.shortLeaseMs }));
      assert.ok(held[0]);
      assert.deepEqual(await queue.complete(held[0].lease), { ok: true });
      await queue.close();
      await store.restartStore();
      queue = await store.open();
      store.letTimePass(backend.shortLeaseMs + 1);
      const seen = new Set<string>();
      await waitFor(async () => {
        await queue.reclaimExpiredLeases();
        for (let claimed = await claimOne(queue); claimed; claimed = await claimOne(queue)) {
          seen.add(claimed.task.taskId);
        }
        return seen.size >= 9;
      });
      const expected = Array.from({ length: 10 }, (_, i) => `r${i}`).filter(
        (id) => id !== held[0]?.task.taskId,
      );
      assert.deepEqual([...seen].sort(), expected.sort());
    } finally {
      await queue.close();
      await store.cleanup();
    }
  });
}

function claimOne(queue: Queue): Promise<ClaimedTask | undefined> {
  return queue.claim({ owner: "conformance", leaseMs: longLeaseMs });
}

/** Reclaims and claims until the reclaimed task comes back (BullMQ reclaims in two passes). */
async function claimAfterReclaim(queue: Queue, owner: string): Promise<ClaimedTask> {
  let claimed: ClaimedTask | undefined;
  await waitFor(async () => {
    await queue.reclaimExpiredLeases();
    claimed = await queue.claim({ owner, leaseMs: longLeaseMs });
    return claimed !== undefined;
  });
  assert.ok(claimed);
  return claimed;
}

function collectReady(queue: Queue): string[] {
  const seen: string[] = [];
  queue.onTaskReady((task) => seen.push(task.taskId));
  return seen;
}

function collectFinished(queue: Queue): string[] {
  const seen: string[] = [];
  queue.onTaskFinished((task, reason: FinishReason) => seen.push(`${task.taskId}:${reason}`));
  return seen;
}
