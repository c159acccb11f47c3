import { describe, expect, it } from "vitest";
import { RecentIdSet } from "../../src/mattermost/recent-ids.js";

describe("RecentIdSet", () => {
  it("says false for an id seen recently, and forgets the oldest ones beyond its capacity", () => {
    const seen = new RecentIdSet(3);
    expect(["a", "b", "a", "c"].map((id) => seen.add(id))).toEqual([true, true, false, true]);
    expect(seen.add("d")).toBe(true); // a is forgotten
    expect([seen.has("a"), seen.has("b"), seen.has("c"), seen.has("d")]).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(seen.add("a")).toBe(true); // seen again as new, b is forgotten
    expect([seen.has("b"), seen.has("c")]).toEqual([false, true]);
  });

  it("keeps exactly the last `capacity` ids over many turns of its ring", () => {
    const seen = new RecentIdSet(100);
    for (let i = 0; i < 1_050; i++) seen.add(`p${i}`);
    expect(seen.has("p949")).toBe(false);
    expect(seen.has("p950")).toBe(true);
    expect(seen.add("p1049")).toBe(false);
  });
});
