/** The one middleware primitive: `(ctx, next)`. Every routing verb is built from it. */
export type NextFunction = () => Promise<void>;
export type Middleware<C> = (ctx: C, next: NextFunction) => unknown;

/** Folds middleware into one; calling `next()` twice is a bug and throws. */
export function compose<C>(
  middleware: readonly Middleware<C>[],
): (ctx: C, next?: NextFunction) => Promise<void> {
  return async function composed(ctx, next) {
    let last = -1;
    async function dispatch(i: number): Promise<void> {
      if (i <= last) throw new Error("next() called more than once in one middleware");
      last = i;
      const mw = i === middleware.length ? next : middleware[i];
      if (!mw) return;
      await mw(ctx, () => dispatch(i + 1));
    }
    await dispatch(0);
  };
}
