/**
 * What was installed into what. A Composer notes here what it is given (`use`, `filter`,
 * `branch`, `route`, `errorBoundary`: composers, apps, any object with a middleware) and keeps
 * nothing of it itself: it only runs middleware. The bot reads it to find its apps, wherever in
 * the tree they were installed, and before or after their parent was.
 */
const installed = new WeakMap<object, object[]>();

/** `child` was installed into `parent`. */
export function noteInstalled(parent: object, child: object): void {
  const children = installed.get(parent);
  if (children) children.push(child);
  else installed.set(parent, [child]);
}

/** Everything installed under `root`, depth first in the order it was installed, each once. */
export function* installedUnder(root: object): Generator<object> {
  const seen = new Set<object>([root]);
  const walk = function* (node: object): Generator<object> {
    for (const child of installed.get(node) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      yield child;
      yield* walk(child);
    }
  };
  yield* walk(root);
}
