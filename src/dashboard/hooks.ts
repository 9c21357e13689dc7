import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { DroverEvent } from "./api-types.ts";
import { liveEvents, type StreamState } from "./event-stream.ts";

/** Calls `listener` with every live event while the component is mounted. */
export function useLiveEvents(listener: (event: DroverEvent) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => liveEvents.subscribe((event) => latest.current(event)), []);
}

export function useStreamState(): StreamState {
  const [state, setState] = useState(liveEvents.state);
  useEffect(() => {
    const unsubscribe = liveEvents.onState(setState);
    // The stream may have opened between the first render and this effect: catch up.
    setState(liveEvents.state);
    return unsubscribe;
  }, []);
  return state;
}

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Loads again soon; several calls close together make one request. */
  reload(): void;
  /** Changes the loaded data in place (a live event applied before the next load). */
  update(change: (data: T) => T): void;
}

/** Data loaded from the API for `key`, reloaded on demand; an answer older than a newer load is dropped. */
export function useResource<T>(load: () => Promise<T>, key: string): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const generation = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const loader = useRef(load);
  loader.current = load;

  const fetchNow = useCallback(() => {
    const mine = ++generation.current;
    loader.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      },
      (failure: unknown) => {
        if (mine === generation.current)
          setError(failure instanceof Error ? failure : new Error(String(failure)));
      },
    );
  }, []);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    fetchNow();
    return () => {
      generation.current++;
      window.clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [key, fetchNow]);

  const reload = useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      fetchNow();
    }, 250);
  }, [fetchNow]);

  const update = useCallback((change: (value: T) => T) => {
    setData((value) => (value === undefined ? value : change(value)));
  }, []);

  return { data, error, reload, update };
}

/** The current time, refreshed every `everyMs` so "for 12s" keeps counting. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(id);
  }, [everyMs]);
  return now;
}
