/** The user-side routes: what a person's client (or a bot) loads about itself and other users. */
import { myTeamRoutes } from "./my-teams.js";
import { preferenceRoutes } from "./preferences.js";
import { sessionRoutes } from "./sessions.js";
import { statusRoutes } from "./statuses.js";
import { userListRoutes } from "./user-lists.js";
import { userRoutes } from "./users.js";

export const clientRoutes = [
  userRoutes,
  userListRoutes,
  myTeamRoutes,
  statusRoutes,
  preferenceRoutes,
  sessionRoutes,
];
