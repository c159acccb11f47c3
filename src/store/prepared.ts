import type { Compilable, CompiledQuery } from "kysely";

/**
 * A query built and compiled once, then run with new values: for the statements run on every
 * message, Kysely's building and compiling cost more than the database's own work. `build`
 * gets a placeholder per name; each call swaps them for the values given.
 * @example
 * const claim = prepareQuery(["id"], (p) => db.insertInto("claims").values({ id: p.id, owner: "x", claimed_at: 0 }));
 * await db.executeQuery(claim({ id: "post:1" }));
 */
export function prepareQuery<Name extends string, Row>(
  names: readonly Name[],
  // the placeholders stand in for values of any column type
  build: (placeholders: Record<Name, any>) => Compilable<Row>,
): (values: Record<Name, unknown>) => CompiledQuery<Row> {
  const marker = (name: string) => `\u0000mmbot-placeholder:${name}\u0000`;
  const placeholders = Object.fromEntries(names.map((name) => [name, marker(name)])) as Record<
    Name,
    string
  >;
  const compiled = build(placeholders).compile();
  const byMarker = new Map<unknown, Name>(names.map((name) => [marker(name), name]));
  const slots = compiled.parameters.map((parameter) => byMarker.get(parameter));
  const missing = names.filter((name) => !slots.includes(name));
  if (missing.length > 0)
    throw new Error(`prepareQuery: ${missing.join(", ")} not used as a value in ${compiled.sql}`);
  return (values) => ({
    ...compiled,
    parameters: compiled.parameters.map((parameter, i) =>
      slots[i] === undefined ? parameter : values[slots[i]!],
    ),
  });
}
