/**
 * A bounded set of recently seen ids, oldest evicted first. The insertion order is kept in a
 * ring: evicting through `Set.values().next()` walks past every deleted entry still in the
 * Set's table, which made each add cost microseconds once the set was full.
 */
export class RecentIdSet {
  private readonly ids = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(capacity = 10_000) {
    this.ring = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Forgets the id (its ring slot stays until overwritten, harmlessly). */
  delete(id: string): void {
    this.ids.delete(id);
  }

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.ring.length;
    this.ids.add(id);
    return true;
  }
}
