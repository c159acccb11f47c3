/**
 * Users' preferences (`/users/{id}/preferences`): category/name/value strings, as the server
 * keeps them. A person starts with the `tutorial_step` preference the server saves when it
 * creates a user; bots start with none (the server creates them without it).
 */
import { fail, type ErrorSpec } from "./errors.js";
import { isValidId } from "./ids.js";
import type { World } from "./world.js";

export interface Preference {
  user_id: string;
  category: string;
  name: string;
  value: string;
}

const invalid = (what: string, message: string): ErrorSpec => ({
  id: `model.preference.is_valid.${what}.app_error`,
  message,
  status: 400,
});
const PREFERENCE_ERRORS = {
  userId: invalid("id", "Invalid user id."),
  category: invalid("category", "Invalid category."),
  name: invalid("name", "Invalid name."),
  value: invalid("value", "Value is too long."),
  otherUser: {
    id: "api.preference.update_preferences.set.app_error",
    message: "Unable to set user preferences.",
    status: 403,
  },
} as const;

// the server's column sizes (model/preference.go IsValid)
const MAX_CATEGORY = 32;
const MAX_NAME = 32;
const MAX_VALUE = 2000;

export class Preferences {
  /** Saved preferences by user, keyed `category/name`. */
  private readonly saved = new Map<string, Map<string, Preference>>();

  constructor(private readonly world: World) {}

  of(userId: string): Preference[] {
    return [...this.savedOf(userId).values()];
  }

  /** Validates every preference first (all or nothing, as the server's transaction), then saves them. */
  save(userId: string, preferences: Preference[]): void {
    for (const p of preferences) {
      if (p.user_id !== userId)
        fail(PREFERENCE_ERRORS.otherUser, `userId=${userId}, preference.UserId=${p.user_id}`);
      if (!isValidId(p.user_id)) fail(PREFERENCE_ERRORS.userId);
      if (p.category.length === 0 || p.category.length > MAX_CATEGORY)
        fail(PREFERENCE_ERRORS.category);
      if (p.name.length > MAX_NAME) fail(PREFERENCE_ERRORS.name);
      if (p.value.length > MAX_VALUE) fail(PREFERENCE_ERRORS.value);
    }
    const saved = this.savedOf(userId);
    for (const p of preferences)
      saved.set(`${p.category}/${p.name}`, {
        user_id: p.user_id,
        category: p.category,
        name: p.name,
        value: p.value,
      });
  }

  /** Removes the given category/name pairs (`POST /users/{id}/preferences/delete`). */
  remove(userId: string, preferences: Preference[]): void {
    for (const p of preferences) if (p.user_id !== userId) fail(PREFERENCE_ERRORS.otherUser);
    const saved = this.savedOf(userId);
    for (const p of preferences) saved.delete(`${p.category}/${p.name}`);
  }

  /** A user's saved preferences, starting with the ones the server saves at creation. */
  private savedOf(userId: string): Map<string, Preference> {
    let saved = this.saved.get(userId);
    if (!saved) {
      saved = new Map();
      const user = this.world.users.get(userId);
      if (user && !user.is_bot)
        saved.set(`tutorial_step/${userId}`, {
          user_id: userId,
          category: "tutorial_step",
          name: userId,
          value: "0",
        });
      this.saved.set(userId, saved);
    }
    return saved;
  }
}
