/** The store as `mmbot start` uses it, for the commands that look at it (doctor, setup, init). */
import { todo } from "../apps/todo/index.js";
import { openStore, type AppMigrations, type Store } from "../store/index.js";

/** The apps `mmbot start` installs whatever the configuration (for `mmbot doctor`'s look at the store). */
export function serviceApps(): AppMigrations[] {
  return [todo()];
}

/** Opens the store of `mmbot start` as it would: migrated for the core and the service's apps. */
export async function openServiceStore(url: string): Promise<Store> {
  const store = await openStore(url);
  try {
    for (const app of serviceApps()) await store.migrateApp(app);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
