/** The default world: team acme, three open channels, admin, alice, bob and the bot todobot. */
import type { Channel, Team, UserProfile } from "../mattermost/types.js";

export interface SeededUser {
  user: UserProfile;
  token: string;
  password: string;
}

export interface SeedResult {
  team: Team;
  channels: { townSquare: Channel; offTopic: Channel; ops: Channel };
  users: { admin: SeededUser; alice: SeededUser; bob: SeededUser };
  bot: { user: UserProfile; token: string };
}

/** The parts of the sandbox that seeding uses (members are added silently: nobody is connected yet). */
export interface SeedTarget {
  createTeam(input: { name: string; display_name?: string }): Team;
  createUser(input: { username: string; password?: string; first_name?: string; roles?: string }): {
    user: UserProfile;
    token: string;
  };
  createBot(input: { username: string; display_name?: string; owner_id?: string }): {
    user: UserProfile;
    token: string;
  };
  addToTeam(teamId: string, userId: string): void;
  createChannel(input: { team_id: string; name: string; display_name?: string }): Channel;
  joinSilently(channelId: string, userId: string): void;
}

export function seedWorld(sandbox: SeedTarget): SeedResult {
  const team = sandbox.createTeam({ name: "acme", display_name: "Acme" });
  const person = (username: string, roles?: string): SeededUser => {
    const password = `sandbox-${username}`;
    const made = sandbox.createUser({ username, password, roles });
    sandbox.addToTeam(team.id, made.user.id);
    return { ...made, password };
  };
  const admin = person("admin", "system_admin system_user");
  const alice = person("alice");
  const bob = person("bob");
  const bot = sandbox.createBot({
    username: "todobot",
    display_name: "Todo Bot",
    owner_id: admin.user.id,
  });
  sandbox.addToTeam(team.id, bot.user.id);
  const channel = (name: string, displayName: string) =>
    sandbox.createChannel({ team_id: team.id, name, display_name: displayName });
  const channels = {
    townSquare: channel("town-square", "Town Square"),
    offTopic: channel("off-topic", "Off-Topic"),
    ops: channel("ops", "ops"),
  };
  for (const c of Object.values(channels))
    for (const u of [admin, alice, bob]) sandbox.joinSilently(c.id, u.user.id);
  sandbox.joinSilently(channels.townSquare.id, bot.user.id);
  sandbox.joinSilently(channels.ops.id, bot.user.id);
  return { team, channels, users: { admin, alice, bob }, bot };
}
