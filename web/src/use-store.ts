import { useEffect, useState } from "preact/hooks";
import { store, type Store } from "./store";

/** The store, re-rendering the component on every change. */
export function useStore(): Store {
  const [, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((n) => n + 1)), []);
  return store;
}
