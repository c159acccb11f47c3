/** The world file's row for the default world's seed: which team, channels and users, and their tokens. */
import type { SeedResult } from "../seed.js";
import { channelWire, userWire } from "../wire.js";
import type { World } from "../world.js";
import type { Table } from "./table.js";

/** The seed of a sandbox; `fromFile` until `seed()` has handed the kept one back. */
export interface SeedSlot {
  result?: SeedResult;
  fromFile?: boolean;
}

interface SavedSeed {
  team: string;
  channels: Record<keyof SeedResult["channels"], string>;
  users: Record<keyof SeedResult["users"], { id: string; token: string; password: string }>;
  bot: { id: string; token: string };
}

export function seedTable(slot: SeedSlot, world: World): Table {
  return {
    kind: "seed",
    *rows() {
      const seed = slot.result;
      if (!seed) return;
      const users = Object.fromEntries(
        Object.entries(seed.users).map(([name, u]) => [
          name,
          { id: u.user.id, token: u.token, password: u.password },
        ]),
      );
      const channels = Object.fromEntries(
        Object.entries(seed.channels).map(([name, c]) => [name, c.id]),
      );
      yield {
        id: "default",
        data: {
          team: seed.team.id,
          channels,
          users,
          bot: { id: seed.bot.user.id, token: seed.bot.token },
        },
      };
    },
    load(rows) {
      const saved = rows[0]?.data as SavedSeed | undefined;
      if (!saved) return;
      const user = (id: string) => userWire(need(world.users.get(id), `user ${id}`), true);
      const channel = (id: string) => channelWire(need(world.channels.get(id), `channel ${id}`));
      const person = (u: SavedSeed["users"]["admin"]) => ({
        user: user(u.id),
        token: u.token,
        password: u.password,
      });
      slot.result = {
        team: need(world.teams.get(saved.team), `team ${saved.team}`),
        channels: {
          townSquare: channel(saved.channels.townSquare),
          offTopic: channel(saved.channels.offTopic),
          ops: channel(saved.channels.ops),
        },
        users: {
          admin: person(saved.users.admin),
          alice: person(saved.users.alice),
          bob: person(saved.users.bob),
        },
        bot: { user: user(saved.bot.id), token: saved.bot.token },
      };
      slot.fromFile = true;
    },
  };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the seed names ${what}, which is not in the world`);
  return value;
}
